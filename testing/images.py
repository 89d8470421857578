"""Small images made with Pillow, for tests of what FacePass accepts."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(image_format: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """A plain image of one colour in this Pillow format (JPEG, PNG, GIF, BMP …)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(buffer, format=image_format)
    return buffer.getvalue()
