"""CORS in a real browser: a page on another origin calls the API with credentials, directly and behind nginx."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sessions_app.demo import DEMO_SESSIONS
from testing.browser import chromium
from testing.frontend import frontend_server
from testing.stack import Stack, facepass_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ENABLED_ID = str(DEMO_SESSIONS[0]["id"])
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"

# Runs in the frontend page: what a frontend does, and what the browser let it see.
FETCH = """async ({url, method, body, requestId}) => {
    const init = {method, credentials: 'include', headers: {}};
    if (body !== null) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    if (requestId) init.headers['X-Request-ID'] = requestId;
    try {
        const response = await fetch(url, init);
        return {ok: true, status: response.status, body: await response.json(),
                requestId: response.headers.get('X-Request-ID')};
    } catch (error) {
        return {ok: false, error: String(error)};
    }
}"""


@pytest.fixture(scope="module")
def frontend_port() -> Iterator[int]:
    with frontend_server() as port:
        yield port


@pytest.fixture(scope="module", params=["django", "nginx"])
def stack(request, frontend_port, tmp_path_factory) -> Iterator[Stack]:
    """CORS_MODE=django with the app server alone, or CORS_MODE=nginx with nginx in front; only localhost is allowed."""
    with facepass_stack(
        tmp_path_factory.mktemp(f"browser-{request.param}"),
        cors_mode=request.param,
        cors_origins=[f"http://localhost:{frontend_port}"],
        with_nginx=request.param == "nginx",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as running:
        yield running


@pytest.fixture
def open_page(browser, stack):
    """Open the frontend at an origin; returns the page and the API responses the browser received."""
    pages = []

    def open_at(origin: str):
        page = browser.new_page()
        pages.append(page)
        responses = []
        page.on("response", lambda response: responses.append(response) if response.url.startswith(stack.url) else None)
        page.goto(f"{origin}/")
        return page, responses

    yield open_at
    for page in pages:
        page.close()


def get_session(page, stack: Stack) -> dict[str, Any]:
    url = f"{stack.url}/api/v1/sessions/validate/{ENABLED_ID}"
    result: dict[str, Any] = page.evaluate(FETCH, {"url": url, "method": "GET", "body": None, "requestId": None})
    return result


def post_batch(page, stack: Stack, probe: str) -> dict[str, Any]:
    url = f"{stack.url}/api/v1/sessions/validate?probe={probe}"
    body = {"session_ids": [ENABLED_ID]}
    result: dict[str, Any] = page.evaluate(FETCH, {"url": url, "method": "POST", "body": body, "requestId": probe})
    return result


def test_allowed_origin_reads_a_credentialed_get(open_page, stack, frontend_port):
    page, responses = open_page(f"http://localhost:{frontend_port}")

    result = get_session(page, stack)

    assert result["ok"], result
    assert result["status"] == 200
    assert result["body"]["valid"] is True
    assert result["requestId"], "X-Request-ID should be exposed to the page"
    assert [r.header_values("access-control-allow-origin") for r in responses] == [
        [f"http://localhost:{frontend_port}"]
    ]


def test_allowed_origin_reads_error_answers(open_page, stack, frontend_port):
    page, responses = open_page(f"http://localhost:{frontend_port}")

    results = [
        page.evaluate(FETCH, {"url": f"{stack.url}{path}", "method": "GET", "body": None, "requestId": None})
        for path in (f"/api/v1/sessions/{UNKNOWN_ID}", "/api/v1/sessions/validate/not-a-uuid")
    ]

    assert [(result["ok"], result.get("status")) for result in results] == [(True, 404), (True, 400)]
    assert results[0]["body"] == {"detail": "Session not found"}
    assert [r.header_values("access-control-allow-origin") for r in responses] == [
        [f"http://localhost:{frontend_port}"]
    ] * 2


def test_allowed_origin_sends_a_json_post_after_a_preflight(open_page, stack, frontend_port):
    page, responses = open_page(f"http://localhost:{frontend_port}")
    probe = uuid.uuid4().hex

    result = post_batch(page, stack, probe)

    assert result["ok"], result
    assert result["status"] == 200
    assert result["body"]["results"][ENABLED_ID]["valid"] is True
    assert result["requestId"] == probe
    logged = stack.access_log.read_text()
    assert f"OPTIONS /api/v1/sessions/validate?probe={probe}" in logged
    assert f"POST /api/v1/sessions/validate?probe={probe}" in logged
    assert [r.header_values("access-control-allow-origin") for r in responses] == [
        [f"http://localhost:{frontend_port}"]
    ]


def test_origin_not_allowed_is_blocked_by_the_browser(open_page, stack, frontend_port):
    page, _ = open_page(f"http://127.0.0.1:{frontend_port}")
    probe = uuid.uuid4().hex

    got = get_session(page, stack)
    posted = post_batch(page, stack, probe)

    assert got == {"ok": False, "error": "TypeError: Failed to fetch"}
    assert posted == {"ok": False, "error": "TypeError: Failed to fetch"}
    logged = stack.access_log.read_text()
    assert f"OPTIONS /api/v1/sessions/validate?probe={probe}" in logged
    assert f"POST /api/v1/sessions/validate?probe={probe}" not in logged, "the preflight should have stopped it"
