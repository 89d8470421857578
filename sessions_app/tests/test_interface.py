from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
MARKUP_ID = "44444444-4444-4444-8444-444444444444"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"
EXPECTED_CSP = {
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
}


@pytest.fixture
def client() -> Client:
    return Client()


def csp_directives(response) -> set[str]:
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


def page(client: Client, session_id: str):
    return client.get(f"/api/v1/sessions/{session_id}/interface")


def test_page_for_a_facepass_session(client):
    response = page(client, ENABLED_ID)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<h1 id="session-name">Spring wedding: Anna &amp; Mark</h1>' in html
    assert f'data-session-id="{ENABLED_ID}"' in html
    assert f'data-services-url="/api/v1/remote-services/{ENABLED_ID}"' in html
    assert f'data-face-search-url="/api/v1/sessions/{ENABLED_ID}/face-search"' in html
    assert 'src="/static/facepass/interface.js"' in html


def test_page_asks_for_consent_with_the_retention_from_settings(client, settings):
    settings.FACE_SEARCH_RETENTION_MINUTES = 45
    settings.FACE_SEARCH_RESULT_RETENTION_HOURS = 1

    html = page(client, ENABLED_ID).content.decode()
    text = " ".join(html.split())

    assert '<input id="consent-checkbox" type="checkbox"' in html
    assert "deleted as soon as the search ends, and in any case within 45 minutes." in text
    assert "The list of photos found is kept for 1 hour," in text


def test_camera_and_file_picker_are_off_until_consent(client):
    html = page(client, ENABLED_ID).content.decode()

    assert '<button id="camera-start" type="button" disabled>' in html
    assert '<input id="selfie-file" type="file" accept="image/*" capture="user" disabled>' in html
    # The consent text comes before the camera and the picker.
    assert html.index('id="consent-checkbox"') < html.index('id="camera-start"') < html.index('id="selfie-file"')


def test_page_has_no_inline_script_or_event_handler(client):
    html = page(client, ENABLED_ID).content.decode()

    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.DOTALL)
    assert scripts == [""]
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "style=" not in html


def test_session_name_from_pixora_is_escaped(client):
    html = page(client, MARKUP_ID).content.decode()

    assert "Graduation 2026 &lt;b&gt;class&lt;/b&gt;" in html
    assert "<b>class</b>" not in html


@pytest.mark.parametrize(
    ("session_id", "status", "message"),
    [
        (UNKNOWN_ID, HTTPStatus.NOT_FOUND, "Session not found"),
        (DISABLED_ID, HTTPStatus.FORBIDDEN, "FacePass is not enabled for this session"),
        ("not-a-uuid", HTTPStatus.BAD_REQUEST, "does not contain a valid session id"),
    ],
)
def test_page_explains_sessions_it_cannot_serve(client, session_id, status, message):
    response = page(client, session_id)

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert message in html
    assert "interface.js" not in html
    assert "data-face-search-url" not in html


@pytest.mark.django_db(transaction=True, databases=["default", "pixora"])
def test_page_is_a_503_when_pixora_is_down(client, pixora_down):
    response = page(client, ENABLED_ID)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    html = response.content.decode()
    assert "Temporarily unavailable" in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/sessions/{ENABLED_ID}/interface",
        f"/api/v1/sessions/{UNKNOWN_ID}/interface",
        f"/api/v1/sessions/validate/{ENABLED_ID}",
        "/api/v1/sessions/not-a-uuid",
        "/api/healthz/",
        "/admin/login/",
    ],
)
def test_every_response_carries_the_content_security_policy(client, path):
    response = client.get(path)

    assert csp_directives(response) == EXPECTED_CSP


def test_api_docs_run_without_inline_script_or_cdn(client):
    html = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    sources = re.findall(r'<script\b[^>]*src="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/") for source in sources)
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.DOTALL) == [""] * len(sources)
    assert "cdn" not in html
    assert script.status_code == HTTPStatus.OK
    assert "SwaggerUIBundle" in script.content.decode()
    assert "<style" not in html
    # The docs run under the same policy as every page: nothing inline is allowed anywhere.
    assert csp_directives(client.get("/api/docs/")) == EXPECTED_CSP
