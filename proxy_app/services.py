"""Fetching a session's services and prices from the Pixora API, bounded in time, size and concurrency."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from functools import cache
from http import HTTPStatus
from uuid import UUID

import requests
from django.conf import settings
from prometheus_client import Counter
from urllib3.exceptions import DecodeError, HTTPError

from common.cache import cache_get, cache_set
from common.http import BodyTimeout, BodyTooLarge, body_read_bounded, pooled_session
from common.metrics import PROXY_CALLS, PROXY_LATENCY
from proxy_app.breaker import BreakerState, CircuitBreaker
from proxy_app.errors import (
    PixoraBusy,
    PixoraCircuitOpen,
    PixoraClientError,
    PixoraError,
    PixoraNetworkError,
    PixoraNotConfigured,
    PixoraServerError,
    PixoraSessionNotFound,
    PixoraTimeout,
)

logger = logging.getLogger(__name__)

UPSTREAM_PATH = "/api/session/{session_id}/services"
NETWORK_SUGGESTION = "Pixora may be restarting; try again in a few seconds. Prices show again when it is back."
TIMEOUT_SUGGESTION = "Pixora is slow to answer; try again in a moment."


@cache
def pixora_breaker() -> CircuitBreaker:
    """This process's breaker for the Pixora API (per process: each server worker keeps its own)."""
    return CircuitBreaker(
        failure_threshold=settings.PIXORA_BREAKER_THRESHOLD, reset_seconds=settings.PIXORA_BREAKER_RESET_SECONDS
    )


@cache
def pixora_bulkhead() -> threading.BoundedSemaphore:
    """At most this many Pixora calls at once per process, so hung calls can't hold every worker thread."""
    return threading.BoundedSemaphore(settings.PIXORA_MAX_CONCURRENT_CALLS)


# Language ranges kept from a client's Accept-Language, most preferred first; the rest can't change Pixora's choice.
MAX_LANGUAGES = 4
LANGUAGE_RANGE = re.compile(r"[a-z]{1,8}(-[a-z0-9]{1,8})*|\*")


def accept_language_normalize(header: str | None) -> str:
    """The header's language ranges by preference, lower-cased, without q-values: 'de-ch,de,en'; '' for none.

    Two customers whose browsers ask for the same languages share a cached answer; one who asks for others never
    gets theirs.
    """
    if not header or len(header) > 500:
        return ""
    ranges = []
    for position, part in enumerate(header.split(",")):
        language, _, parameters = part.strip().lower().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        if LANGUAGE_RANGE.fullmatch(language) and 0 < quality <= 1:
            ranges.append((-quality, position, language))
    unique = list(dict.fromkeys(language for _, _, language in sorted(ranges)))
    return ",".join(unique[:MAX_LANGUAGES])


def services_cache_key(session_id: UUID, language: str = "") -> str:
    return f"pixora-services:v2:{session_id}:{language}"


def services_fetch(*, session_id: UUID, request_id: str, accept_language: str | None = None) -> bytes:
    """The session's services as Pixora's JSON bytes, from the cache or the Pixora API, in the client's languages."""
    language = accept_language_normalize(accept_language)
    ttl = settings.PIXORA_SERVICES_CACHE_TTL
    key = services_cache_key(session_id, language)
    if ttl > 0:
        cached: bytes | None = cache_get(key)
        if cached is not None:
            _outcome_counter("cache_hit").inc()
            return cached
    path = UPSTREAM_PATH.format(session_id=session_id)
    # The client's own header goes to Pixora (q-values and all) when it names a language; the key is its gist.
    forwarded = accept_language if language else None
    body = pixora_get(path=path, session_id=session_id, request_id=request_id, accept_language=forwarded)
    cache_set(key, body, ttl)
    return body


def pixora_get(*, path: str, session_id: UUID, request_id: str, accept_language: str | None = None) -> bytes:
    """GET a path of the Pixora API about one session: its JSON bytes, or the PixoraError that says what failed.

    Bounded like every call to Pixora: the bulkhead, the circuit breaker, the timeouts and the size limit.
    """
    if not settings.MAIN_API_URL:
        raise PixoraNotConfigured("The Pixora API is not configured on this server (MAIN_API_URL is unset).")
    bulkhead = pixora_bulkhead()
    # A short wait absorbs bursts against a fast Pixora; against a hung one it frees the thread soon after.
    if not bulkhead.acquire(timeout=settings.PIXORA_BULKHEAD_WAIT_SECONDS):
        _record(session_id, None, None, PixoraBusy.outcome, request_id)
        raise PixoraBusy("Too many calls to the Pixora API are waiting; try again shortly.")
    try:
        # The bulkhead is taken first: a half-open breaker's one trial must not be spent on a busy answer.
        breaker = pixora_breaker()
        if not breaker.allow():
            _record(session_id, None, None, PixoraCircuitOpen.outcome, request_id)
            raise PixoraCircuitOpen(
                "Pixora API failed repeatedly; FacePass is not calling it for a while.",
                retry_after_seconds=round(breaker.retry_after()),
            )
        started = time.monotonic()
        try:
            body = _get(path, session_id, request_id, accept_language, started)
        except PixoraError as exc:
            if exc.counts_against_pixora:
                breaker.record_failure()
            else:
                breaker.record_success()
            _record(session_id, exc.upstream_status, time.monotonic() - started, exc.outcome, request_id)
            raise
        except BaseException:
            # Unforeseen: still end the call in the breaker, or a half-open trial would never finish.
            breaker.record_failure()
            raise
    finally:
        bulkhead.release()
    breaker.record_success()
    _record(session_id, 200, time.monotonic() - started, "ok", request_id)
    return body


def _get(path: str, session_id: UUID, request_id: str, accept_language: str | None, started: float) -> bytes:
    """GET the path: Pixora's JSON bytes, or a PixoraError that says what went wrong."""
    timeout = connect_timeout, read_timeout = settings.PIXORA_CONNECT_TIMEOUT, settings.PIXORA_READ_TIMEOUT
    url = settings.MAIN_API_URL.rstrip("/") + path
    # Only these reach Pixora: never the client's cookies, Authorization or anything else it sent.
    headers = {"Accept": "application/json", "X-Request-ID": request_id}
    if accept_language:
        headers["Accept-Language"] = accept_language
    try:
        response = pooled_session("pixora", timeout=timeout).get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        )
    except requests.Timeout as exc:
        raise _timeout(read_timeout) from exc
    except requests.ConnectionError as exc:
        raise _network_error() from exc
    except requests.RequestException as exc:
        raise PixoraError("Pixora API's answer could not be read.") from exc
    status = response.status_code
    try:
        if status == HTTPStatus.NOT_FOUND:
            raise PixoraSessionNotFound(
                f"Session {session_id} not found in Pixora API", upstream_status=status, session_id=str(session_id)
            )
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise PixoraServerError(f"Pixora API answered {status}.", upstream_status=status)
        if HTTPStatus.BAD_REQUEST <= status < HTTPStatus.INTERNAL_SERVER_ERROR:
            raise PixoraClientError(f"Pixora API refused the request ({status}).", upstream_status=status)
        if status != HTTPStatus.OK:
            raise PixoraError(f"Pixora API answered {status}, not 200.", upstream_status=status)
        body = _read_bounded(response, deadline=started + connect_timeout + read_timeout, read_timeout=read_timeout)
    finally:
        response.close()
    try:
        json.loads(body)
    except ValueError:
        raise PixoraError("Pixora API answered with something that is not JSON.", upstream_status=status) from None
    return body


def _read_bounded(response: requests.Response, *, deadline: float, read_timeout: float) -> bytes:
    """The body, read as a stream: stops at PIXORA_MAX_RESPONSE_BYTES, and at the deadline however slow the bytes."""
    limit = settings.PIXORA_MAX_RESPONSE_BYTES
    try:
        return body_read_bounded(response, limit=limit, deadline=deadline, read_timeout=read_timeout)
    except BodyTooLarge:
        raise _too_large(limit) from None
    except BodyTimeout as exc:
        raise _timeout(read_timeout, upstream_status=response.status_code) from exc
    except DecodeError as exc:
        raise PixoraError("Pixora API's answer could not be decoded.", upstream_status=response.status_code) from exc
    except (HTTPError, OSError, requests.RequestException) as exc:
        raise _network_error(upstream_status=response.status_code) from exc


def _network_error(upstream_status: int | None = None) -> PixoraNetworkError:
    return PixoraNetworkError(
        "Unable to connect to Pixora API", upstream_status=upstream_status, suggestion=NETWORK_SUGGESTION
    )


def _timeout(read_timeout: float, upstream_status: int | None = None) -> PixoraTimeout:
    return PixoraTimeout(
        f"Pixora API did not respond within {read_timeout:g} seconds",
        upstream_status=upstream_status,
        suggestion=TIMEOUT_SUGGESTION,
    )


def _too_large(limit: int) -> PixoraError:
    return PixoraError(f"Pixora API's answer is larger than {limit} bytes.", upstream_status=HTTPStatus.OK)


def _outcome_counter(outcome: str) -> Counter:
    counter = _OUTCOME_COUNTERS.get(outcome)
    if counter is None:
        counter = _OUTCOME_COUNTERS[outcome] = PROXY_CALLS.labels(outcome=outcome)
    return counter


_OUTCOME_COUNTERS: dict[str, Counter] = {}


def _record(session_id: UUID, status: int | None, seconds: float | None, outcome: str, request_id: str) -> None:
    """One log line and the metrics for a call; `seconds` is None when no call went out (busy, circuit open)."""
    _outcome_counter(outcome).inc()
    if seconds is not None:
        PROXY_LATENCY.observe(seconds)
    level = logging.INFO if outcome == "ok" else logging.WARNING if outcome == "not_found" else logging.ERROR
    logger.log(
        level,
        "pixora_call session_id=%s upstream_status=%s duration_ms=%.1f outcome=%s request_id=%s",
        session_id,
        status if status is not None else "-",
        (seconds or 0.0) * 1000,
        outcome,
        request_id,
    )


def pixora_api_health() -> str:
    """The Pixora API as this process sees it, from the breaker alone (Pixora is not called)."""
    if not settings.MAIN_API_URL:
        return "not_configured"
    return "circuit_open" if pixora_breaker().state is BreakerState.OPEN else "ok"
