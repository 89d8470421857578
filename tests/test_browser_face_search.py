"""Face search from the customer's page, in Chromium: a fake camera showing a real face, or a chosen file; served
by the app server with a real Celery worker on Redis, FacePass's tables on PostgreSQL and the stand-in Pixora over
HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from testing.browser import FAKE_CAMERA_ARGS, chromium, screenshot_path
from testing.face_stack import face_search_stack
from testing.faces import LabelledPhoto, face_image, faceless_photo, jpeg_bytes, session_photo_set, y4m_from_image
from testing.upstream import PixoraApiStub, StubPhoto
from testing.workers import celery_worker
from tests.test_browser_page import Page, choose_file, give_consent

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
# The first selfie of a session waits for its photos to be indexed.
SEARCH_TIMEOUT_MS = 120_000
# Every text the search status shows, in order: progress can be checked after the search ended.
RECORD_STATUS_SCRIPT = """
window.statusTexts = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("search-status");
  if (status) {
    new MutationObserver(() => window.statusTexts.push(status.textContent)).observe(status, {childList: true});
  }
});
"""


@dataclass
class PageStack:
    url: str
    pixora_api: PixoraApiStub
    photos: list[LabelledPhoto]

    def interface_url(self) -> str:
        return f"{self.url}/api/v1/sessions/{ENABLED_ID}/interface"

    def photo_urls_with(self, person: str) -> set[str]:
        return {self.pixora_api.photo_url(ENABLED_ID, photo.id) for photo in self.photos if person in photo.people}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[PageStack]:
    photos = session_photo_set()
    with face_search_stack(
        tmp_path_factory.mktemp("browser-face-search"),
        collectstatic=True,
        PIXORA_PHOTO_READ_TIMEOUT="5",
        FACE_SEARCH_POLL_SECONDS="0.5",
        SERVER_WORKERS="1",
        SERVER_THREADS="4",
    ) as stack:
        stack.pixora_api.set_photos(ENABLED_ID, [StubPhoto(photo.id, photo.data) for photo in photos])
        with celery_worker(stack.env, log_path=stack.directory / "worker.log"):
            yield PageStack(stack.url, stack.pixora_api, photos)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    camera = y4m_from_image(face_image("obama"), tmp_path_factory.mktemp("camera") / "obama.y4m")
    with chromium(extra_args=(*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}")) as browser:
        yield browser


@pytest.fixture
def browser_page(browser) -> Iterator[Page]:
    page = Page(browser)
    page.context.add_init_script(RECORD_STATUS_SCRIPT)
    yield page
    page.close()


def found_photo_urls(page) -> set[str]:
    """The links of the grid once the search is done, after every thumbnail has loaded or failed."""
    page.locator("#results[data-status='done']").wait_for(timeout=SEARCH_TIMEOUT_MS)
    page.wait_for_function("() => [...document.querySelectorAll('#matches img')].every(image => image.complete)")
    return set(page.locator("#matches a").evaluate_all("links => links.map(link => link.href)"))


def thumbnail_widths(page) -> list[int]:
    widths: list[int] = page.locator("#matches img").evaluate_all("images => images.map(image => image.naturalWidth)")
    return widths


def test_a_selfie_from_the_camera_finds_the_customers_photos(stack, browser_page):
    page = browser_page.page
    page.goto(stack.interface_url())

    give_consent(page)
    page.locator("#camera-start").click()
    page.locator("#camera-capture:enabled").wait_for()
    page.locator("#camera-capture").click()

    found = found_photo_urls(page)
    assert found == stack.photo_urls_with("obama")
    assert not found & stack.photo_urls_with("biden") - stack.photo_urls_with("obama")
    widths = thumbnail_widths(page)
    assert len(widths) == len(found)
    assert all(width > 0 for width in widths), f"thumbnails did not load (CSP img-src?): {widths}"
    # A first selfie waits for the session's photos: the page showed how far that had come.
    texts = page.evaluate("window.statusTexts")
    assert any(text.startswith("Preparing the session's photos: ") for text in texts), texts
    page.screenshot(path=str(screenshot_path("facepass-face-search-found")), full_page=True)
    assert browser_page.errors == []


def test_a_photo_without_a_face_is_explained_and_can_be_replaced(stack, browser_page):
    page = browser_page.page
    page.goto(stack.interface_url())
    give_consent(page)

    choose_file(page, jpeg_bytes(faceless_photo(1)), name="landscape.jpg", mime_type="image/jpeg")
    page.locator("#search-error:visible").wait_for(timeout=SEARCH_TIMEOUT_MS)

    assert page.locator("#search-error").inner_text().startswith("No face found")
    assert page.locator("#matches li").count() == 0
    page.screenshot(path=str(screenshot_path("facepass-face-search-no-face")), full_page=True)
    page.locator("#search-retry").click()
    assert page.locator("#results").is_hidden()
    assert page.locator("#camera-start").is_enabled()
    assert page.locator("#selfie-file").is_enabled()
    assert browser_page.errors == []


def test_a_chosen_selfie_of_another_person_finds_only_theirs(stack, browser_page):
    page = browser_page.page
    page.goto(stack.interface_url())
    give_consent(page)

    choose_file(page, jpeg_bytes(face_image("biden")), name="biden.jpg", mime_type="image/jpeg")

    found = found_photo_urls(page)
    assert found == stack.photo_urls_with("biden")
    assert all(width > 0 for width in thumbnail_widths(page))
    page.screenshot(path=str(screenshot_path("facepass-face-search-file")), full_page=True)
    assert browser_page.errors == []
