"""Fixtures for the session tests: images made by Pillow, a private MEDIA_ROOT, a Pixora database that is gone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from testing.pixora import PixoraTestDatabase, SqlitePixora, use_pixora_database


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture
def jpeg() -> bytes:
    return image_bytes("JPEG")


@pytest.fixture
def png() -> bytes:
    return image_bytes("PNG")


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def pixora_down(pixora: PixoraTestDatabase, tmp_path: Path) -> Iterator[None]:
    """Point the `pixora` alias at a database file that no longer exists (as when Pixora's server is down)."""
    missing = SqlitePixora(tmp_path / "gone.sqlite3")
    use_pixora_database(missing)
    missing.path.unlink()
    try:
        yield
    finally:
        use_pixora_database(pixora)
