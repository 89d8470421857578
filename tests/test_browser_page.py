"""The FacePass page in Debian's Chromium, served by the app server, with a real HTTP server standing for Pixora."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

from testing.browser import FAKE_CAMERA_ARGS, chromium, screenshot_path
from testing.services import app_server, base_environment, manage
from testing.upstream import PixoraApiStub

pytestmark = pytest.mark.browser

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
MARKUP_ID = "44444444-4444-4444-8444-444444444444"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
PIXORA_READ_TIMEOUT = 1.0
# A 1x1 PNG: a selfie the server accepts (it judges the content, not the face), and the routed test photos.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273ede0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[PixoraApiStub]:
    with PixoraApiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def app(tmp_path_factory, upstream) -> Iterator[tuple[str, Path]]:
    """FacePass under the app server (DEBUG off, WhiteNoise serving collected static files); yields (url, tmp dir)."""
    tmp_path = tmp_path_factory.mktemp("browser-page")
    env = base_environment(
        tmp_path,
        PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
        MAIN_API_URL=upstream.url,
        PIXORA_READ_TIMEOUT=str(PIXORA_READ_TIMEOUT),
        PIXORA_SERVICES_CACHE_TTL="0",
        PIXORA_BREAKER_THRESHOLD="1000",
        SERVER_WORKERS="1",
        SERVER_THREADS="4",
    )
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    with app_server(env, log_path=tmp_path / "server.log") as base_url:
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


def give_consent(page) -> None:
    page.locator("#consent-checkbox").check()
    page.locator("#camera-start:enabled").wait_for()


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
    give_consent(page)
    assert page.locator("#camera-start").is_enabled()
    assert page.locator("#selfie-file").is_enabled()
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


def test_camera_and_file_picker_wait_for_consent(app, browser_page):
    page = browser_page.page
    page.goto(interface_url(app, ENABLED_ID))

    terms = " ".join(page.locator("#consent-terms").inner_text().split())
    assert "deleted as soon as the search ends, and in any case within 60 minutes" in terms
    assert "kept for 24 hours" in terms
    assert page.locator("#camera-start").is_disabled()
    assert page.locator("#selfie-file").is_disabled()
    assert page.locator("#camera-capture").is_disabled()
    page.screenshot(path=str(screenshot_path("facepass-page-consent")), full_page=True)

    give_consent(page)
    assert page.locator("#selfie-file").is_enabled()
    page.locator("#camera-start").click()
    page.locator("#camera-capture:enabled").wait_for()

    # Withdrawn consent turns the camera off again.
    page.locator("#consent-checkbox").uncheck()
    assert page.locator("#camera-start").is_disabled()
    assert page.locator("#camera-capture").is_disabled()
    assert page.locator("#selfie-file").is_disabled()
    assert page.locator("#camera-video").is_hidden()
    assert page.locator("#camera-video").evaluate("video => video.srcObject") is None
    assert browser_page.errors == []


def stored_search(tmp_path: Path, face_search_id: str) -> tuple[str, str, str, int, bytes] | None:
    """(session id, status, content type, size, selfie bytes) of an upload, from FacePass's SQLite database."""
    with sqlite3.connect(tmp_path / "facepass.sqlite3") as connection:
        row: tuple[str, str, str, int, bytes] | None = connection.execute(
            "SELECT r.session_id, r.status, r.content_type, r.size, s.data FROM face_search_app_facesearchrequest r "
            "JOIN face_search_app_selfie s ON s.request_id = r.id WHERE r.id = ?",
            (face_search_id.replace("-", ""),),
        ).fetchone()
    return row


def choose_file(page, data: bytes = TINY_PNG, name: str = "me.png", mime_type: str = "image/png") -> None:
    page.locator("#selfie-file").set_input_files(files=[{"name": name, "mimeType": mime_type, "buffer": data}])


def test_selfie_from_the_fake_camera_is_stored(app, browser_page):
    base_url, tmp_path = app
    page = browser_page.page
    page.goto(interface_url(app, ENABLED_ID))

    give_consent(page)
    page.locator("#camera-start").click()
    page.locator("#camera-capture:enabled").wait_for()
    assert page.locator("#camera-video").evaluate("video => video.videoWidth") > 0
    page.screenshot(path=str(screenshot_path("facepass-page-camera")), full_page=True)
    page.locator("#camera-capture").click()
    page.locator("#upload-message.ok").wait_for()

    face_search_id = page.locator("#facepass").get_attribute("data-face-search-id")
    assert face_search_id
    assert "Selfie received" in page.locator("#upload-message").inner_text()
    # No worker runs here: the search stays queued, and the page says so while it polls.
    page.locator("#results[data-status='queued']").wait_for()
    assert "waiting its turn" in page.locator("#search-status").inner_text()
    row = stored_search(tmp_path, face_search_id)
    assert row is not None
    session_id, status, content_type, size, image = row
    assert session_id == ENABLED_ID.replace("-", "")
    assert (status, content_type) == ("queued", "image/jpeg")
    assert image[:3] == b"\xff\xd8\xff"
    assert len(image) == size
    page.screenshot(path=str(screenshot_path("facepass-page-selfie-sent")), full_page=True)
    assert browser_page.errors == []


def test_a_file_chosen_instead_of_the_camera_is_sent_with_consent(app, browser_page):
    base_url, tmp_path = app
    page = browser_page.page
    # Chromium gives Playwright no body for a multipart upload with a file: the page's form fields are recorded.
    browser_page.context.add_init_script(
        "const send = window.fetch; window.sentForms = [];"
        "window.fetch = (url, options) => { if (options && options.body instanceof FormData) {"
        " window.sentForms.push([...options.body.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : v.name]));"
        "} return send(url, options); };"
    )
    page.goto(interface_url(app, ENABLED_ID))
    give_consent(page)

    choose_file(page)
    page.locator("#upload-message.ok").wait_for()

    face_search_id = page.locator("#facepass").get_attribute("data-face-search-id")
    row = stored_search(tmp_path, face_search_id)
    assert row is not None
    assert row[1:] == ("queued", "image/png", len(TINY_PNG), TINY_PNG)
    assert page.evaluate("window.sentForms") == [[["image", "me.png"], ["consent", "true"]]]
    assert page.locator("#camera-preview").is_visible()
    assert browser_page.errors == []


def route_search(page, base_url: str, answers: list[dict[str, object]]) -> None:
    """Answer the page's status polls with these answers in turn (the last one repeats), and serve test photos."""
    remaining = list(answers)

    def status(route) -> None:
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        route.fulfill(status=HTTPStatus.OK, content_type="application/json", body=json.dumps(answer))

    page.route("**/face-search/*", status)
    page.route(f"{base_url}/test-photos/**", lambda route: route.fulfill(content_type="image/png", body=TINY_PNG))


def search_answer(status: str, **fields: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "id": "5e5e5e5e-0000-4000-8000-000000000001",
        "status": status,
        "progress": None,
        "matches": [],
    }
    return answer | {"error": None} | fields


def test_progress_then_the_photos_found(app, browser_page):
    base_url, _ = app
    page = browser_page.page
    photos = f"{base_url}/test-photos"
    route_search(
        page,
        base_url,
        [
            search_answer("queued"),
            search_answer("indexing", progress={"done": 3, "total": 10}),
            search_answer("searching"),
            search_answer(
                "done",
                matches=[
                    {
                        "photo_id": "a",
                        "url": f"{photos}/a.png",
                        "thumbnail_url": f"{photos}/a-small.png",
                        "distance": 0.3,
                    },
                    {"photo_id": "b", "url": f"{photos}/b.png", "thumbnail_url": None, "distance": 0.4},
                    {"photo_id": "c", "url": "javascript:alert(1)", "thumbnail_url": None, "distance": 0.5},
                ],
            ),
        ],
    )
    page.goto(interface_url(app, ENABLED_ID))
    give_consent(page)

    choose_file(page)
    page.locator("#search-progress:visible").wait_for()
    assert page.locator("#search-status").inner_text() == "Preparing the session's photos: 3 of 10"
    assert page.locator("#search-progress").evaluate("bar => [bar.value, bar.max]") == [3, 10]
    page.locator("#search-status", has_text="Looking for you…").wait_for()
    page.locator("#results[data-status='done']").wait_for()

    links = page.locator("#matches a")
    images = page.locator("#matches img")
    assert [links.nth(n).get_attribute("href") for n in range(links.count())] == [f"{photos}/a.png", f"{photos}/b.png"]
    assert {(links.nth(n).get_attribute("target"), links.nth(n).get_attribute("rel")) for n in range(2)} == {
        ("_blank", "noopener")
    }
    assert [images.nth(n).get_attribute("src") for n in range(2)] == [f"{photos}/a-small.png", f"{photos}/b.png"]
    assert all(images.nth(n).get_attribute("alt") for n in range(2))
    assert images.evaluate_all("images => images.map(image => image.complete && image.naturalWidth)") == [1, 1]
    assert "2 photos of you were found" in page.locator("#search-status").inner_text()
    assert page.locator("#search-retry").is_visible()
    assert browser_page.errors == []


def test_no_photos_found_is_said_plainly(app, browser_page):
    base_url, _ = app
    page = browser_page.page
    route_search(page, base_url, [search_answer("done")])
    page.goto(interface_url(app, ENABLED_ID))
    give_consent(page)

    choose_file(page)
    page.locator("#results[data-status='done']").wait_for()

    assert page.locator("#search-status").inner_text() == "No photos of you were found in this session."
    assert page.locator("#matches li").count() == 0
    assert browser_page.errors == []


def test_a_failed_search_shows_why_and_offers_another_try(app, browser_page):
    base_url, _ = app
    page = browser_page.page
    reason = "No face found — try again facing the camera in good light. <b>not markup</b>"
    route_search(page, base_url, [search_answer("failed", error=reason)])
    page.goto(interface_url(app, ENABLED_ID))
    give_consent(page)

    choose_file(page)
    page.locator("#search-error:visible").wait_for()

    assert page.locator("#search-error").inner_text() == reason
    assert page.locator("#search-error b").count() == 0
    page.locator("#search-retry").click()
    assert page.locator("#results").is_hidden()
    assert page.locator("#camera-start").is_enabled()
    assert page.locator("#selfie-file").is_enabled()
    assert browser_page.errors == []


def test_polling_gives_up_after_ten_minutes(app, browser_page):
    page = browser_page.page
    page.clock.install()
    page.goto(interface_url(app, ENABLED_ID))
    give_consent(page)
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/face-search/" in request.url else None)

    # No worker runs here: the real status stays "queued".
    choose_file(page)
    page.locator("#results[data-status='queued']").wait_for()
    for _ in range(3):
        page.clock.run_for(3000)
        page.wait_for_timeout(100)
    assert polls, "the page polls the status URL"
    page.clock.fast_forward("10:00")
    page.clock.run_for(3000)
    page.locator("#results[data-status='gave-up']").wait_for()

    assert "taking too long" in page.locator("#search-error").inner_text()
    assert page.locator("#search-retry").is_visible()
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
    give_consent(page)

    page.locator("#camera-start").click()
    page.locator("#camera-message.error").wait_for()

    assert message in page.locator("#camera-message").inner_text()
    assert "choose a photo of yourself instead" in page.locator("#camera-message").inner_text()
    assert page.locator("#camera-start").is_enabled()
    assert page.locator("#camera-capture").is_disabled()
    assert page.locator("#selfie-file").is_enabled()


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


def test_oversized_upload_is_refused_by_the_app_server(app):
    base_url, tmp_path = app
    body = b"\xff\xd8\xff" + b"0" * (8 * 1024 * 1024)

    response = requests.post(
        f"{base_url}/api/v1/sessions/{ENABLED_ID}/face-search",
        files={"image": ("selfie.jpg", body, "image/jpeg")},
        data={"consent": "true"},
        timeout=10,
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in response.json()["detail"]
    assert "Content-Security-Policy" in response.headers
