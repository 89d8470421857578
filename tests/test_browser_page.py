"""The FacePass page in Debian's Chromium, served by gunicorn, with a real HTTP server standing for Pixora's API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

from testing.browser import FAKE_CAMERA_ARGS, chromium, screenshot_path
from testing.services import base_environment, gunicorn_server, manage
from testing.upstream import PixoraApiStub

pytestmark = pytest.mark.browser

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
MARKUP_ID = "44444444-4444-4444-8444-444444444444"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
PIXORA_READ_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def upstream() -> Iterator[PixoraApiStub]:
    with PixoraApiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def app(tmp_path_factory, upstream) -> Iterator[tuple[str, Path]]:
    """FacePass under gunicorn (DEBUG off, WhiteNoise serving collected static files); yields (url, tmp dir)."""
    tmp_path = tmp_path_factory.mktemp("browser-page")
    env = base_environment(
        tmp_path,
        PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
        MAIN_API_URL=upstream.url,
        PIXORA_READ_TIMEOUT=str(PIXORA_READ_TIMEOUT),
        PIXORA_SERVICES_CACHE_TTL="0",
        PIXORA_BREAKER_THRESHOLD="1000",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
    )
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    with gunicorn_server(env, log_path=tmp_path / "gunicorn.log") as base_url:
        yield base_url, tmp_path


@pytest.fixture(scope="module")
def browser():
    with chromium(extra_args=tuple(FAKE_CAMERA_ARGS)) as browser:
        yield browser


class Page:
    """A Playwright page that records console errors and page errors (CSP violations are console errors)."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(locale="en-US", viewport={"width": 900, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        url = message.location.get("url", "")
        # Chromium asks for /favicon.ico on pages that name none (the admin's); that 404 is not the page's doing.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({url})")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def browser_page(browser) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.close()


def interface_url(app: tuple[str, Path], session_id: str) -> str:
    return f"{app[0]}/api/v1/sessions/{session_id}/interface"


def csp_violations(errors: list[str]) -> list[str]:
    return [error for error in errors if "Content Security Policy" in error or "Refused to" in error]


def test_valid_session_shows_name_and_prices(app, upstream, browser_page):
    upstream.behave("ok")
    page = browser_page.page

    response = page.goto(interface_url(app, ENABLED_ID))
    page.locator("li.service").nth(2).wait_for()

    assert response.status == HTTPStatus.OK
    assert page.locator("#session-name").inner_text() == "Spring wedding: Anna & Mark"
    names = page.locator(".service-name").all_inner_texts()
    prices = page.locator(".service-price").all_inner_texts()
    assert [name.splitlines()[0] for name in names] == ["Retouching", "Print A4 — glossy", "Фотоальбом 写真集"]
    assert prices == ["€15.00", "€9.50", "€120.00"]
    assert page.locator("#view-only-banner").is_hidden()
    page.screenshot(path=str(screenshot_path("facepass-page-valid")), full_page=True)
    assert browser_page.errors == []


@pytest.mark.parametrize("failure", ["status", "hang"])
def test_failing_proxy_switches_to_view_only_mode(app, upstream, browser_page, failure):
    upstream.behave(failure, status=500)
    page = browser_page.page
    try:
        page.goto(interface_url(app, ENABLED_ID))
        page.locator("#view-only-banner").wait_for(state="visible", timeout=(PIXORA_READ_TIMEOUT + 5) * 1000)
    finally:
        upstream.behave("ok")

    assert "View-only mode" in page.locator("#view-only-banner").inner_text()
    assert page.locator("li.service").count() == 0
    assert "unavailable" in page.locator("#services-status").inner_text()
    # The rest of the page keeps working.
    assert page.locator("#session-name").inner_text() == "Spring wedding: Anna & Mark"
    assert page.locator("#camera-start").is_enabled()
    if failure == "status":
        page.screenshot(path=str(screenshot_path("facepass-page-view-only")), full_page=True)
    # The failed fetch itself is logged by Chromium as a resource error; nothing else may be.
    assert [error for error in browser_page.errors if "Failed to load resource" not in error] == []


@pytest.mark.parametrize(
    ("session_id", "status", "message"),
    [
        (UNKNOWN_ID, HTTPStatus.NOT_FOUND, "We couldn't find this photo session"),
        (DISABLED_ID, HTTPStatus.FORBIDDEN, "FacePass is not enabled for this session"),
    ],
)
def test_sessions_the_page_cannot_serve(app, browser_page, session_id, status, message):
    page = browser_page.page

    response = page.goto(interface_url(app, session_id))

    assert response.status == status
    assert message in page.locator("#page-message").inner_text()
    assert page.locator("#camera-start").count() == 0
    if status == HTTPStatus.NOT_FOUND:
        page.screenshot(path=str(screenshot_path("facepass-page-not-found")), full_page=True)
    assert csp_violations(browser_page.errors) == []


def test_name_with_markup_is_shown_as_text(app, browser_page):
    page = browser_page.page

    page.goto(interface_url(app, MARKUP_ID))

    assert page.locator("#session-name").inner_text() == "Graduation 2026 <b>class</b>"
    assert page.locator("#session-name b").count() == 0


def test_selfie_from_the_fake_camera_is_stored(app, browser_page):
    base_url, tmp_path = app
    page = browser_page.page
    page.goto(interface_url(app, ENABLED_ID))

    page.locator("#camera-start").click()
    page.locator("#camera-capture:enabled").wait_for()
    assert page.locator("#camera-video").evaluate("video => video.videoWidth") > 0
    page.screenshot(path=str(screenshot_path("facepass-page-camera")), full_page=True)
    page.locator("#camera-capture").click()
    page.locator("#upload-message.ok").wait_for()

    face_search_id = page.locator("#facepass").get_attribute("data-face-search-id")
    assert face_search_id
    assert "Selfie received" in page.locator("#upload-message").inner_text()
    with sqlite3.connect(tmp_path / "facepass.sqlite3") as connection:
        row = connection.execute(
            "SELECT session_id, status, content_type, size, image FROM sessions_app_facesearchrequest WHERE id = ?",
            (face_search_id.replace("-", ""),),
        ).fetchone()
    assert row is not None
    session_id, status, content_type, size, image = row
    assert session_id == ENABLED_ID.replace("-", "")
    assert (status, content_type) == ("queued", "image/jpeg")
    stored = tmp_path / "media" / image
    assert stored.read_bytes()[:3] == b"\xff\xd8\xff"
    assert stored.stat().st_size == size
    page.screenshot(path=str(screenshot_path("facepass-page-selfie-sent")), full_page=True)
    assert browser_page.errors == []


@pytest.mark.parametrize(
    ("error_name", "message"),
    [("NotAllowedError", "Camera access was refused"), ("NotFoundError", "No camera was found")],
)
def test_camera_refused_or_missing_is_explained(app, browser_page, error_name, message):
    page = browser_page.page
    # Stands for the user refusing the prompt, or a machine without a camera (Chromium's fake camera always works).
    browser_page.context.add_init_script(
        f"navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('test', '{error_name}'));"
    )
    page.goto(interface_url(app, ENABLED_ID))

    page.locator("#camera-start").click()
    page.locator("#camera-message.error").wait_for()

    assert message in page.locator("#camera-message").inner_text()
    assert page.locator("#camera-start").is_enabled()
    assert page.locator("#camera-capture").is_disabled()


@pytest.mark.parametrize(
    ("path", "ready"), [("/api/docs/", ".swagger-ui .info .title"), ("/admin/login/", "#id_username")]
)
def test_docs_and_admin_work_under_the_csp(app, browser_page, path, ready):
    page = browser_page.page

    response = page.goto(f"{app[0]}{path}")
    page.locator(ready).first.wait_for()

    assert response.status == HTTPStatus.OK
    assert "default-src 'self'" in response.headers["content-security-policy"]
    if path == "/api/docs/":
        assert "FacePass API" in page.locator(".swagger-ui .info .title").inner_text()
        page.screenshot(path=str(screenshot_path("api-docs")))
    assert csp_violations(browser_page.errors) == []
    assert browser_page.errors == []


def test_oversized_upload_is_refused_under_gunicorn(app):
    base_url, tmp_path = app
    body = b"\xff\xd8\xff" + b"0" * (8 * 1024 * 1024)

    response = requests.post(
        f"{base_url}/api/v1/sessions/{ENABLED_ID}/face-search",
        files={"image": ("selfie.jpg", body, "image/jpeg")},
        timeout=10,
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in response.json()["detail"]
    assert "Content-Security-Policy" in response.headers
