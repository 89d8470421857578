"""Kept only while sso_app imports ServiceUnavailable from here: FacePass's shared error types are in common.errors."""

from __future__ import annotations

from common.errors import ServiceUnavailable

__all__ = ["ServiceUnavailable"]
