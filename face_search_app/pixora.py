"""A session's photos from the Pixora API: the list (paged JSON) and each photo's bytes.

The list comes through the same bounded client as the services proxy (bulkhead, breaker, timeouts, size
limit, request id). Image bytes are fetched only from hosts in PIXORA_PHOTO_HOSTS, so a photo list can't make
FacePass call anything else, and are bounded in time and size too.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypeGuard
from urllib.parse import urlsplit
from uuid import UUID

import requests
from django.conf import settings
from urllib3.exceptions import HTTPError

from common.http import BodyTimeout, BodyTooLarge, body_read_bounded, pooled_session
from proxy_app.services import pixora_get

PHOTOS_PATH = "/api/session/{session_id}/photos?page={page}"
# A list longer than this many pages is treated as a Pixora bug, not followed forever.
MAX_PHOTO_PAGES = 1000


@dataclass(frozen=True)
class PixoraPhoto:
    id: str
    url: str
    thumbnail_url: str | None


class PhotoListInvalid(ValueError):
    """Pixora's photo list is not in the documented shape."""


class PhotoFetchFailed(Exception):
    """A photo's bytes could not be had; `retryable` when trying again later may succeed."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def photos_list(*, session_id: UUID, request_id: str) -> list[PixoraPhoto]:
    """Every photo of the session, in Pixora's order, following `next_page` to the end."""
    photos: list[PixoraPhoto] = []
    seen: set[str] = set()
    page: int | None = 1
    while page is not None:
        if page > MAX_PHOTO_PAGES:
            raise PhotoListInvalid(f"more than {MAX_PHOTO_PAGES} pages of photos")
        path = PHOTOS_PATH.format(session_id=session_id, page=page)
        body = pixora_get(path=path, session_id=session_id, request_id=request_id)
        page_photos, next_page = _photos_page_parse(body, page=page)
        for photo in page_photos:
            if photo.id not in seen:
                seen.add(photo.id)
                photos.append(photo)
        page = next_page
    return photos


def _photos_page_parse(body: bytes, *, page: int) -> tuple[list[PixoraPhoto], int | None]:
    try:
        data = json.loads(body)
        items, next_page = data["photos"], data.get("next_page")
    except (ValueError, TypeError, KeyError) as exc:
        raise PhotoListInvalid(f"page {page} is not a photo list") from exc
    if not isinstance(items, list) or not (next_page is None or (isinstance(next_page, int) and next_page > page)):
        raise PhotoListInvalid(f"page {page} is not a photo list")
    photos = []
    for item in items:
        if not isinstance(item, dict):
            raise PhotoListInvalid(f"page {page} holds an entry that is not a photo")
        photo_id, url, thumbnail_url = item.get("id"), item.get("url"), item.get("thumbnail_url")
        if not isinstance(photo_id, str) or not photo_id or len(photo_id) > 200:
            raise PhotoListInvalid(f"page {page} holds a photo without a usable id")
        if not _is_absolute_http_url(url):
            raise PhotoListInvalid(f"photo {photo_id!r} has no absolute http(s) url")
        if thumbnail_url is not None and not _is_absolute_http_url(thumbnail_url):
            thumbnail_url = None
        photos.append(PixoraPhoto(id=photo_id, url=url, thumbnail_url=thumbnail_url))
    return photos, next_page


def _is_absolute_http_url(value: object) -> TypeGuard[str]:
    if not isinstance(value, str) or len(value) > 2000:
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def photo_host_allowed(url: str) -> bool:
    """Whether FacePass may fetch this URL: http(s) on a host of PIXORA_PHOTO_HOSTS (the port does not matter)."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and (parts.hostname or "").lower() in settings.PIXORA_PHOTO_HOSTS


def photo_download(*, url: str, request_id: str) -> bytes:
    """A photo's bytes, within PIXORA_PHOTO_MAX_BYTES and the photo timeouts; PhotoFetchFailed otherwise."""
    if not photo_host_allowed(url):
        raise PhotoFetchFailed(f"host of {urlsplit(url).hostname!r} is not in PIXORA_PHOTO_HOSTS", retryable=False)
    timeout = connect_timeout, read_timeout = settings.PIXORA_CONNECT_TIMEOUT, settings.PIXORA_PHOTO_READ_TIMEOUT
    started = time.monotonic()
    try:
        # No redirects: one could lead to a host that is not allowed.
        response = pooled_session("pixora-photos", timeout=timeout).get(
            url, headers={"X-Request-ID": request_id}, timeout=timeout, stream=True, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise PhotoFetchFailed("no answer within the timeout", retryable=True) from exc
    except requests.RequestException as exc:
        raise PhotoFetchFailed("could not connect", retryable=True) from exc
    try:
        status = response.status_code
        if status != HTTPStatus.OK:
            raise PhotoFetchFailed(
                f"answered HTTP {status}",
                retryable=status >= HTTPStatus.INTERNAL_SERVER_ERROR or status == HTTPStatus.TOO_MANY_REQUESTS,
            )
        limit = settings.PIXORA_PHOTO_MAX_BYTES
        deadline = started + connect_timeout + read_timeout
        return body_read_bounded(response, limit=limit, deadline=deadline, read_timeout=read_timeout)
    except BodyTooLarge:
        raise PhotoFetchFailed(f"larger than {settings.PIXORA_PHOTO_MAX_BYTES} bytes", retryable=False) from None
    except BodyTimeout as exc:
        raise PhotoFetchFailed("not received within the timeout", retryable=True) from exc
    except (HTTPError, OSError, requests.RequestException) as exc:
        raise PhotoFetchFailed("the connection failed while reading", retryable=True) from exc
    finally:
        response.close()
