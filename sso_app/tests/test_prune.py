from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sso_app.models import LoginCode, SSOToken
from sso_app.services import login_code_hash, token_issue

pytestmark = pytest.mark.django_db


def expire(record, days_ago: float) -> None:
    record.expires_at = timezone.now() - timedelta(days=days_ago)
    record.save(update_fields=["expires_at"])


def code_for(user, *, expired_days_ago: float) -> LoginCode:
    now = timezone.now()
    return LoginCode.objects.create(
        email=user.email,
        user=user,
        code_hash=login_code_hash("123456"),
        created_at=now,
        expires_at=now - timedelta(days=expired_days_ago),
    )


def test_only_records_expired_longer_than_the_retention_are_deleted(make_user, settings):
    settings.SSO_RECORD_RETENTION_DAYS = 30
    user = make_user("operator")
    live = token_issue(user=user).record
    recently_expired = token_issue(user=user).record
    long_expired = token_issue(user=user).record
    expire(recently_expired, days_ago=29)
    expire(long_expired, days_ago=31)
    kept_code = code_for(user, expired_days_ago=1)
    code_for(user, expired_days_ago=45)
    output = StringIO()

    call_command("prune_sso_records", stdout=output)

    assert set(SSOToken.objects.values_list("pk", flat=True)) == {live.pk, recently_expired.pk}
    assert list(LoginCode.objects.values_list("pk", flat=True)) == [kept_code.pk]
    assert "Deleted 1 tokens and 1 sign-in codes" in output.getvalue()


def test_days_given_on_the_command_line_win(make_user):
    user = make_user("operator")
    expire(token_issue(user=user).record, days_ago=2)

    call_command("prune_sso_records", "--days", "1", stdout=StringIO())

    assert not SSOToken.objects.exists()


def test_negative_days_are_refused(make_user):
    stderr = StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("prune_sso_records", "--days", "-1", stdout=StringIO(), stderr=stderr)

    assert exit_info.value.code == 2
    assert "can't be negative" in stderr.getvalue()
