"""Request ids (taken from the client when well formed, generated otherwise, returned) and the CSP header."""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from functools import cache

import csp.constants
import csp.middleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META_KEY = "HTTP_X_REQUEST_ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_for(request: HttpRequest) -> str:
    """The id of this request: the client's X-Request-ID if it is safe to log and forward, else a new one.

    A new id is 128 random bits from `random`, not uuid4: an id must be unique, not secret, and uuid4 reads
    os.urandom, a system call on every request. `random` is reseeded in each forked worker.
    """
    incoming = request.META.get(REQUEST_ID_META_KEY, "")
    return incoming if REQUEST_ID_PATTERN.fullmatch(incoming) else f"{random.getrandbits(128):032x}"


def request_id_of(request: HttpRequest) -> str:
    """The id RequestIdMiddleware gave this request (a DRF Request reads it from Django's)."""
    request_id: str = request.request_id  # type: ignore[attr-defined]  # set by RequestIdMiddleware
    return request_id


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id = request_id_for(request)  # type: ignore[attr-defined]  # read by request_id_of()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


# Response attributes through which a view customises its policy (django-csp's decorators set them).
CSP_CUSTOMISING_ATTRIBUTES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")


@cache
def plain_csp_policy() -> str:
    """The policy from settings.CONTENT_SECURITY_POLICY, as django-csp builds it (no nonce, no per-view change)."""
    return build_policy()


@receiver(setting_changed)
def _forget_csp_policy(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        plain_csp_policy.cache_clear()


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, building the unchanging policy once instead of on every response.

    The policy is the same for every response that does not customise it, so building it per response is work
    for nothing on the API's busiest path. Anything that makes a response's policy differ (a nonce, a view's
    decorator, report-only or excluded prefixes, DEBUG's exemptions) goes through django-csp's own code.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        policy = settings.CONTENT_SECURITY_POLICY or {}
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, attribute) for attribute in CSP_CUSTOMISING_ATTRIBUTES)
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or policy.get("EXCLUDE_URL_PREFIXES")
        ):
            return super().process_response(request, response)
        if csp.constants.HEADER not in response:
            response[csp.constants.HEADER] = plain_csp_policy()
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = csp.middleware.CheckableLazyObject(  # type: ignore[attr-defined]  # django-csp's own attribute
            self._csp_nonce_post_response
        )
        return response


API_PATH_PREFIX = "/api/"


class OutsideApiMixin(MiddlewareMixin):
    """Runs a middleware for the site (the admin) and lets requests under /api/ pass by it.

    The JSON API authenticates with tokens, never with Django's session: on it the user and message middleware
    would only add work to every request (a lazy user, a message storage set up and read back).
    """

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if request.path_info.startswith(API_PATH_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class SiteAuthenticationMiddleware(OutsideApiMixin, AuthenticationMiddleware):
    pass


class SiteMessageMiddleware(OutsideApiMixin, MessageMiddleware):
    pass
