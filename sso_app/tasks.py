"""Sign-in work done off the request: emailing one-time codes."""

from __future__ import annotations

from celery import shared_task

from sso_app.services import login_code_request


@shared_task
def login_code_request_task(email: str) -> None:
    """Look the address up and email it a code if it belongs to an active user (on the `index` queue)."""
    login_code_request(email=email)
