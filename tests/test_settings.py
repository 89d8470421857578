"""Start-up configuration: clear errors for what is missing or wrong, from the environment alone."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from testing.config import variables_read
from testing.services import REPO_ROOT, base_environment


def django_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error(tmp_path):
    env = base_environment(tmp_path, DEBUG="false")
    del env["SECRET_KEY"]

    result = django_check(env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_a_secret_key(tmp_path):
    env = base_environment(tmp_path, DEBUG="true")
    del env["SECRET_KEY"]

    assert django_check(env).returncode == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CORS_MODE", "sometimes", "CORS_MODE must be"),
        ("MAIN_APP_DATABASE_URL", "mysql://u@127.0.0.1/pixora", "unsupported database engine"),
    ],
)
def test_bad_settings_fail_at_startup(tmp_path, variable, value, message):
    result = django_check(base_environment(tmp_path, **{variable: value}))

    assert result.returncode != 0
    assert message in result.stderr


def test_env_example_documents_every_setting_read():
    documented = (REPO_ROOT / ".env.example").read_text()
    read = variables_read()

    undocumented = {name for name in read if not re.search(rf"^(# )?{name}=", documented, re.MULTILINE)}
    assert read, "no settings found: the pattern above no longer matches settings.py"
    assert undocumented == set()
