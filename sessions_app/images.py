"""What an uploaded image really is, judged by its bytes: never by its file name or the client's content type."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Far above a selfie, low enough that a small file declaring huge dimensions (a decompression bomb) is refused.
MAX_IMAGE_PIXELS = 25_000_000
# JPEGs are decoded at 1/8 scale: every byte of the stream is still read, with 1/64 of the memory.
JPEG_DRAFT_SCALE = 8


def image_content_type(data: bytes) -> str | None:
    """`image/jpeg` or `image/png` when the bytes are a well-formed image of that kind, else None."""
    if data.startswith(JPEG_MAGIC):
        content_type = "image/jpeg"
    elif data.startswith(PNG_MAGIC):
        content_type = "image/png"
    else:
        return None
    return content_type if _decodes_as(data, PILLOW_FORMATS[content_type]) else None


def _decodes_as(data: bytes, pillow_format: str) -> bool:
    """Whether Pillow reads the whole image as this format (a magic number on garbage is not an image)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return False
                if pillow_format == "JPEG":
                    image.draft("RGB", (image.width // JPEG_DRAFT_SCALE, image.height // JPEG_DRAFT_SCALE))
                image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, ValueError):
        return False
    return True
