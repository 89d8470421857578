# The log is read by operators signed in through SSO: the same users, tokens and settings as SSO's own tests.
from sso_app.tests.conftest import (  # noqa: F401 (fixtures)
    _clean_process_state,
    _sso_settings,
    _tasks_run_here,
    api,
    login,
    make_user,
    reader,
    staff_client,
)
