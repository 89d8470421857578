"""What an image really is, judged by its bytes (never a file name or a declared type), and its decoding.

Every image FacePass decodes, a selfie or a Pixora photo, goes through here: its kind is judged by content,
its declared dimensions are checked before any pixel is decoded (a small file can declare a huge image), the
EXIF orientation is applied (a photo stored sideways shows no face otherwise) and it is downscaled.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Far above any camera's photo, low enough that a file declaring huge dimensions (a decompression bomb) is refused.
MAX_IMAGE_PIXELS = 50_000_000
# JPEGs are checked at 1/8 scale: every byte of the stream is still read, with 1/64 of the memory.
JPEG_DRAFT_SCALE = 8
DECODE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    ValueError,
)


class ImageRejected(ValueError):
    """The bytes are not a JPEG or PNG that FacePass can use; the message says why, for a person to read."""


def image_content_type(data: bytes) -> str | None:
    """`image/jpeg` or `image/png` when the bytes are a well-formed image of that kind, else None."""
    content_type = _sniff(data)
    if content_type is None:
        return None
    try:
        with _open(data, content_type) as image:
            if image.format == "JPEG":
                image.draft("RGB", (image.width // JPEG_DRAFT_SCALE, image.height // JPEG_DRAFT_SCALE))
            image.load()
    except (ImageRejected, *DECODE_ERRORS):
        return None
    return content_type


def image_decode(data: bytes, *, max_side: int) -> Image.Image:
    """The image upright (EXIF orientation applied), in RGB, its longest side at most `max_side` pixels."""
    content_type = _sniff(data)
    if content_type is None:
        raise ImageRejected("not a JPEG or PNG image")
    try:
        with _open(data, content_type) as image:
            if image.format == "JPEG":
                # Decoding straight to a smaller scale costs a fraction of decoding the whole image and resizing.
                image.draft("RGB", (max_side, max_side))
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGB")
    except ImageRejected:
        raise
    except DECODE_ERRORS as exc:
        raise ImageRejected(f"the image could not be decoded ({type(exc).__name__})") from exc
    if max(upright.size) > max_side:
        upright.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return upright


def _sniff(data: bytes) -> str | None:
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if data.startswith(PNG_MAGIC):
        return "image/png"
    return None


def _open(data: bytes, content_type: str) -> Image.Image:
    """The image opened (not decoded), once its declared dimensions are known to be acceptable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[content_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("the image declares more pixels than FacePass decodes") from exc
    if image.width * image.height > MAX_IMAGE_PIXELS:
        image.close()
        raise ImageRejected(f"the image declares {image.width}×{image.height} pixels, more than FacePass decodes")
    return image
