"""Start-up checks of the face-search configuration."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from face_search_app.engine import MODELS_PACKAGE


@register()
def face_search_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if not 0 < settings.FACE_MATCH_THRESHOLD <= 2:
        problems.append(
            Error(
                f"FACE_MATCH_THRESHOLD is {settings.FACE_MATCH_THRESHOLD}: distances between embeddings lie in 0-2.",
                hint="dlib's documented threshold is 0.6 (see .env.example).",
                id="face_search_app.E001",
            )
        )
    if importlib.util.find_spec(MODELS_PACKAGE) is None:
        problems.append(
            Error(
                f"The {MODELS_PACKAGE} package (dlib's model files) is not installed: no face can be found.",
                hint="pip install -r requirements.txt",
                id="face_search_app.E002",
            )
        )
    return problems


@register(Tags.compatibility, deploy=True)
def face_search_deploy_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return [
            Warning(
                "Face-search tasks go through a folder on this machine (CELERY_BROKER_URL is filesystem://): "
                "workers on other machines never see them.",
                hint="Set REDIS_URL, or CELERY_BROKER_URL to a Redis URL.",
                id="face_search_app.W001",
            )
        ]
    return []
