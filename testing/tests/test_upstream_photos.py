"""The Pixora stand-in serves session photos by Pixora's contract, and each photo misbehaves on demand."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus

import pytest
import requests
from PIL import Image

from testing.faces import exif_sideways_jpeg, face_image, jpeg_bytes, session_photo_set
from testing.services import REPO_ROOT, free_port, stop_process, wait_for_http
from testing.upstream import (
    DEMO_SESSION_ID,
    HUGE_PHOTO_BYTES,
    SLOW_PHOTO_SECONDS,
    THUMBNAIL_MAX_SIDE,
    PixoraApiStub,
    StubPhoto,
    services_payload,
)

SESSION_ID = "5e55104f-0000-4000-8000-000000000001"
TIMEOUT = 2.0


@pytest.fixture(scope="module")
def portrait() -> bytes:
    return jpeg_bytes(face_image("obama2"))


@pytest.fixture
def upstream() -> Iterator[PixoraApiStub]:
    with PixoraApiStub() as stub:
        yield stub


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only, whatever proxy the environment names
    return session


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with new_session() as session:
        yield session


def page_url(upstream: PixoraApiStub, page: object = 1, session_id: str = SESSION_ID) -> str:
    return f"{upstream.url}/api/session/{session_id}/photos?page={page}"


def tiny_photos(count: int) -> list[StubPhoto]:
    return [StubPhoto(f"p{number:03}", f"photo {number}".encode()) for number in range(count)]


def test_photos_are_listed_page_by_page(upstream, http):
    upstream.set_photos(SESSION_ID, tiny_photos(120))

    pages = [http.get(page_url(upstream, page), timeout=TIMEOUT).json() for page in (1, 2, 3)]

    assert [len(page["photos"]) for page in pages] == [50, 50, 20]
    assert [page["next_page"] for page in pages] == [2, 3, None]
    assert [photo["id"] for page in pages for photo in page["photos"]] == [f"p{number:03}" for number in range(120)]
    first = pages[0]["photos"][0]
    assert first == {
        "id": "p000",
        "url": f"{upstream.url}/media/photos/{SESSION_ID}/p000",
        "thumbnail_url": f"{upstream.url}/media/thumbnails/{SESSION_ID}/p000",
    }


def test_page_size_is_the_stubs_to_choose(upstream, http):
    upstream.page_size = 4
    upstream.set_photos(SESSION_ID, tiny_photos(8))

    first = http.get(page_url(upstream, 1), timeout=TIMEOUT).json()
    second = http.get(page_url(upstream, 2), timeout=TIMEOUT).json()

    assert (len(first["photos"]), first["next_page"]) == (4, 2)
    assert (len(second["photos"]), second["next_page"]) == (4, None)


def test_a_page_past_the_end_is_empty(upstream, http):
    upstream.set_photos(SESSION_ID, tiny_photos(3))

    response = http.get(page_url(upstream, 2), timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"photos": [], "next_page": None}


@pytest.mark.parametrize("query", ["", "?page=", "?page=0", "?page=-1", "?page=two", "?page=1.5", "?page=1&page=2"])
def test_a_missing_or_invalid_page_is_a_bad_request(upstream, http, query):
    upstream.set_photos(SESSION_ID, tiny_photos(3))

    response = http.get(f"{upstream.url}/api/session/{SESSION_ID}/photos{query}", timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.headers["Content-Type"].startswith("application/json")
    assert "error" in response.json()


def test_a_session_without_photos_set_is_not_found(upstream, http):
    upstream.set_photos(SESSION_ID, tiny_photos(3))

    response = http.get(page_url(upstream, session_id="a2a2a2a2-0000-4000-8000-000000000002"), timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"error": "not found"}


def test_photos_appear_and_disappear_when_the_list_is_replaced(upstream, http):
    upstream.set_photos(SESSION_ID, tiny_photos(2))
    before = http.get(page_url(upstream), timeout=TIMEOUT).json()
    upstream.set_photos(SESSION_ID, [StubPhoto("new", b"new photo")])
    after = http.get(page_url(upstream), timeout=TIMEOUT).json()
    upstream.set_photos(SESSION_ID, [])
    emptied = http.get(page_url(upstream), timeout=TIMEOUT)

    assert [photo["id"] for photo in before["photos"]] == ["p000", "p001"]
    assert [photo["id"] for photo in after["photos"]] == ["new"]
    assert http.get(f"{upstream.url}/media/photos/{SESSION_ID}/p000", timeout=TIMEOUT).status_code == 404
    assert emptied.status_code == HTTPStatus.OK
    assert emptied.json() == {"photos": [], "next_page": None}


def test_a_photo_without_thumbnail_lists_null(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("bare", portrait, thumbnail=False)])

    listed = http.get(page_url(upstream), timeout=TIMEOUT).json()["photos"][0]

    assert listed["thumbnail_url"] is None
    assert http.get(upstream.thumbnail_url(SESSION_ID, "bare"), timeout=TIMEOUT).status_code == 404


def test_photo_ids_are_quoted_in_urls(upstream, http):
    upstream.set_photos(SESSION_ID, [StubPhoto("a b/ü", b"odd id")])

    listed = http.get(page_url(upstream), timeout=TIMEOUT).json()["photos"][0]

    assert listed["url"].endswith("/a%20b%2F%C3%BC")
    assert http.get(listed["url"], timeout=TIMEOUT).content == b"odd id"


def test_image_urls_serve_the_bytes_with_their_content_type(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("jpeg", portrait), StubPhoto("png", b"\x89PNG fake", None, "image/png")])
    listed = http.get(page_url(upstream), timeout=TIMEOUT).json()["photos"]

    jpeg, png = (http.get(photo["url"], timeout=TIMEOUT) for photo in listed)

    assert (jpeg.status_code, jpeg.headers["Content-Type"], jpeg.content) == (200, "image/jpeg", portrait)
    assert (png.headers["Content-Type"], png.content) == ("image/png", b"\x89PNG fake")


def test_an_unknown_photo_is_not_found(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("known", portrait)])

    assert http.get(upstream.photo_url(SESSION_ID, "unknown"), timeout=TIMEOUT).status_code == 404
    assert http.get(upstream.photo_url("other-session", "known"), timeout=TIMEOUT).status_code == 404
    assert http.get(f"{upstream.url}/media/photos/{SESSION_ID}/known/extra", timeout=TIMEOUT).status_code == 404


def test_a_hanging_photo_answers_nothing_until_behave_is_called(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("stuck", portrait, fault="hang"), StubPhoto("fine", portrait)])
    errors: list[requests.ConnectionError] = []
    waited: list[float] = []

    def fetch() -> None:
        started = time.monotonic()
        try:
            with new_session() as session:
                session.get(upstream.photo_url(SESSION_ID, "stuck"), timeout=10)
        except requests.ConnectionError as error:
            errors.append(error)
        waited.append(time.monotonic() - started)

    with pytest.raises(requests.ReadTimeout):
        http.get(upstream.photo_url(SESSION_ID, "stuck"), timeout=(TIMEOUT, 0.3))
    assert http.get(upstream.photo_url(SESSION_ID, "fine"), timeout=TIMEOUT).content == portrait
    waiting = threading.Thread(target=fetch)
    waiting.start()
    time.sleep(0.3)
    upstream.behave("ok")
    waiting.join(timeout=5)

    assert len(errors) == 1
    assert 0.3 <= waited[0] < 3


def test_a_404_photo_is_not_found(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("gone", portrait, fault="404")])

    response = http.get(upstream.photo_url(SESSION_ID, "gone"), timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"error": "not found"}


def test_an_html_photo_is_a_web_page(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("page", portrait, fault="html")])

    response = http.get(upstream.photo_url(SESSION_ID, "page"), timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.OK
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.content.startswith(b"<html>")


def test_a_huge_photo_streams_64_mib_that_start_like_a_jpeg(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("huge", portrait, fault="huge")])

    with http.get(upstream.photo_url(SESSION_ID, "huge"), timeout=TIMEOUT, stream=True) as response:
        chunks = response.iter_content(chunk_size=1 << 20)
        first = next(chunks)
        total = len(first) + sum(len(chunk) for chunk in chunks)

    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    assert first.startswith(b"\xff\xd8\xff")
    assert total == HUGE_PHOTO_BYTES == 64 * 1024 * 1024


def test_hanging_up_on_a_huge_photo_leaves_the_stub_serving(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("huge", portrait, fault="huge"), StubPhoto("fine", portrait)])

    url = upstream.photo_url(SESSION_ID, "huge")
    with new_session() as session, session.get(url, timeout=TIMEOUT, stream=True) as response:
        first = response.raw.read(1024)

    assert first.startswith(b"\xff\xd8\xff")
    assert http.get(upstream.photo_url(SESSION_ID, "fine"), timeout=TIMEOUT).content == portrait


def test_a_slow_photo_answers_after_a_second(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("slow", portrait, fault="slow")])

    started = time.monotonic()
    response = http.get(upstream.photo_url(SESSION_ID, "slow"), timeout=TIMEOUT + SLOW_PHOTO_SECONDS)
    elapsed = time.monotonic() - started

    assert response.content == portrait
    assert SLOW_PHOTO_SECONDS <= elapsed < SLOW_PHOTO_SECONDS + 1


def test_an_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown photo fault"):
        StubPhoto("x", b"", fault="explode")


def test_repeated_photo_ids_are_refused(upstream):
    with pytest.raises(ValueError, match="repeat"):
        upstream.set_photos(SESSION_ID, [StubPhoto("same", b"1"), StubPhoto("same", b"2")])


def test_thumbnails_are_jpegs_at_most_320_px(upstream, http, portrait):
    small = jpeg_bytes(Image.new("RGB", (120, 80), (10, 200, 30)))
    upstream.set_photos(SESSION_ID, [StubPhoto("big", jpeg_bytes(face_image("obama3"))), StubPhoto("small", small)])

    big = http.get(upstream.thumbnail_url(SESSION_ID, "big"), timeout=TIMEOUT)
    again = http.get(upstream.thumbnail_url(SESSION_ID, "big"), timeout=TIMEOUT)
    tiny = http.get(upstream.thumbnail_url(SESSION_ID, "small"), timeout=TIMEOUT)
    big_image, tiny_image = Image.open(io.BytesIO(big.content)), Image.open(io.BytesIO(tiny.content))

    assert big.headers["Content-Type"] == "image/jpeg"
    assert (big_image.format, max(big_image.size)) == ("JPEG", THUMBNAIL_MAX_SIDE)
    assert big_image.height > big_image.width
    assert again.content == big.content
    assert tiny_image.size == (120, 80)


def test_a_thumbnail_shows_a_sideways_photo_upright(upstream, http):
    upstream.set_photos(SESSION_ID, [StubPhoto("turned", exif_sideways_jpeg(face_image("obama2")))])

    thumbnail = Image.open(io.BytesIO(http.get(upstream.thumbnail_url(SESSION_ID, "turned"), timeout=TIMEOUT).content))

    assert thumbnail.size == (167, 320)


def test_a_photo_that_is_no_image_has_no_thumbnail(upstream, http):
    upstream.set_photos(SESSION_ID, [StubPhoto("text", b"not an image at all")])

    response = http.get(upstream.thumbnail_url(SESSION_ID, "text"), timeout=TIMEOUT)

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("path", ["page", "photo", "thumbnail"])
def test_global_modes_apply_to_photo_paths(upstream, http, portrait, path):
    upstream.set_photos(SESSION_ID, [StubPhoto("p", portrait)])
    url = {
        "page": page_url(upstream),
        "photo": upstream.photo_url(SESSION_ID, "p"),
        "thumbnail": upstream.thumbnail_url(SESSION_ID, "p"),
    }[path]

    upstream.behave("status", status=503)
    failing = http.get(url, timeout=TIMEOUT)
    upstream.behave("html")
    html = http.get(url, timeout=TIMEOUT)
    upstream.behave("drop")
    with pytest.raises(requests.ConnectionError):
        http.get(url, timeout=TIMEOUT)
    upstream.behave("hang")
    with pytest.raises(requests.ReadTimeout):
        http.get(url, timeout=(TIMEOUT, 0.2))
    upstream.reset()

    assert failing.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert html.headers["Content-Type"].startswith("text/html")
    assert http.get(url, timeout=TIMEOUT).status_code == HTTPStatus.OK


def test_photo_requests_are_recorded_with_their_query(upstream, http, portrait):
    upstream.set_photos(SESSION_ID, [StubPhoto("p", portrait)])

    http.get(page_url(upstream, 1), timeout=TIMEOUT)
    http.get(upstream.photo_url(SESSION_ID, "p"), headers={"X-Request-Id": "r-1"}, timeout=TIMEOUT)

    assert upstream.paths == [f"/api/session/{SESSION_ID}/photos?page=1", f"/media/photos/{SESSION_ID}/p"]
    assert upstream.requests[1].headers["X-Request-Id"] == "r-1"


def test_services_and_other_paths_answer_as_before(upstream, http):
    upstream.set_photos(SESSION_ID, tiny_photos(1))

    services = http.get(f"{upstream.url}/api/session/{SESSION_ID}/services", timeout=TIMEOUT)
    elsewhere = http.get(f"{upstream.url}/api/session/{SESSION_ID}/photos/extra", timeout=TIMEOUT)

    assert services.headers["Content-Type"] == "application/json; charset=utf-8"
    assert services.json() == services_payload(SESSION_ID)
    assert elsewhere.json() == services_payload(SESSION_ID)


def test_pages_stay_whole_while_the_list_is_replaced(upstream, http):
    generations = [[StubPhoto(f"g{generation}-{number}", b"x") for number in range(30)] for generation in range(2)]
    upstream.set_photos(SESSION_ID, generations[0])
    seen: list[set[str]] = []

    def replace() -> None:
        for turn in range(100):
            upstream.set_photos(SESSION_ID, generations[turn % 2])

    replacing = threading.Thread(target=replace)
    replacing.start()
    for _ in range(20):
        listed = http.get(page_url(upstream), timeout=TIMEOUT).json()["photos"]
        seen.append({photo["id"].split("-")[0] for photo in listed})
    replacing.join()

    assert all(len(generation) == 1 for generation in seen)


def test_the_command_line_serves_the_demo_session(http):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "testing.upstream", "--host", "127.0.0.1", "--port", str(port), "--demo"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/api/session/{DEMO_SESSION_ID}/services", timeout=30, process=process)
        first = http.get(f"{base}/api/session/{DEMO_SESSION_ID}/photos?page=1", timeout=TIMEOUT).json()
        image = http.get(first["photos"][0]["url"], timeout=TIMEOUT)
        other = http.get(f"{base}/api/session/{SESSION_ID}/services", timeout=TIMEOUT).json()
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    finally:
        stop_process(process)

    demo = session_photo_set()
    assert [photo["id"] for photo in first["photos"]] == [photo.id for photo in demo[:50]]
    assert first["next_page"] == 2
    assert first["photos"][0]["url"].startswith(base)
    assert image.content == demo[0].data
    assert other == services_payload(SESSION_ID)
    assert stdout.strip() == f"Pixora API stub serving on {base}"
    assert process.returncode == 0, stderr
