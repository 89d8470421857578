"""Fixtures for face search: real face models, a fresh cache of session faces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from face_search_app.engine import FaceModels, face_models
from face_search_app.selectors import session_faces_cache_clear

ENABLED_ID = "11111111-1111-4111-8111-111111111111"
DISABLED_ID = "22222222-2222-4222-8222-222222222222"
UNKNOWN_ID = "00000000-0000-4000-8000-0000000000ff"


@pytest.fixture(scope="session")
def models() -> FaceModels:
    """dlib's models, loaded once for the whole run (about half a second)."""
    return face_models()


@pytest.fixture(autouse=True)
def _fresh_faces_cache() -> Iterator[None]:
    session_faces_cache_clear()
    yield
    session_faces_cache_clear()
