from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from celery import current_app
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from request_log_app.writer import BUFFER
from sso_app.remote import VALIDATION_CACHE

SERVICE_KEY = "test-service-key-not-a-secret"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _sso_settings(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SSO_SERVICE_KEY = SERVICE_KEY
    settings.AUTH_SERVICE_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _tasks_run_here() -> Iterator[None]:
    """Sign-in codes are emailed by a worker; here the task runs in the test (tests of the queueing turn it off)."""
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _clean_process_state() -> Iterator[None]:
    VALIDATION_CACHE.clear()
    BUFFER.entries.clear()
    yield
    VALIDATION_CACHE.clear()
    BUFFER.entries.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(username: str, *, read_logs: bool = False, active: bool = True, email: str = "") -> User:
        user = User.objects.create_user(username, email=email or f"{username}@example.com", password=PASSWORD)
        user.is_active = active
        user.save()
        if read_logs:
            user.user_permissions.add(Permission.objects.get(codename="read_logs", content_type__app_label="sso_app"))
        return user

    return make


@pytest.fixture
def reader(make_user) -> User:
    user: User = make_user("reader", read_logs=True)
    return user


@pytest.fixture
def staff_client(client, make_user):
    """The test client, signed in to the admin as a superuser."""
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


@pytest.fixture
def login(api) -> Callable[[str], str]:
    def sign_in(username: str, password: str = PASSWORD) -> str:
        response = api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")
        assert response.status_code == 200, response.content
        token: str = response.json()["token"]
        return token

    return sign_in


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def service(token: str | None = None, key: str = SERVICE_KEY) -> dict[str, str]:
    headers = {"HTTP_X_SERVICE_KEY": key}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return headers


def introspect(api: APIClient, fields: dict[str, str], **headers: str):
    return api.post(
        "/api/v1/auth/introspect",
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        follow=False,
        **headers,
    )
