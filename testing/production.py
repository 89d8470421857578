"""The production environment FacePass is deployed with (behind nginx, TLS terminated there), for tests and the soak."""

from __future__ import annotations

import secrets
from pathlib import Path

from testing.services import base_environment

# What a deployment sets beyond base_environment's databases; each variable is described in .env.example.
PRODUCTION_SETTINGS = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "facepass.example,127.0.0.1,localhost",
    "USE_X_FORWARDED_PROTO": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "CORS_MODE": "nginx",
    "NUM_PROXIES": "1",
}


def production_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """base_environment with the production settings and a long random SECRET_KEY made for this run."""
    return base_environment(tmp_path, **{"SECRET_KEY": secrets.token_urlsafe(50), **PRODUCTION_SETTINGS, **overrides})
