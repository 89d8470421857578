from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from face_search_app.images import ImageRejected, image_content_type, image_decode
from testing.faces import exif_sideways_jpeg, face_image
from testing.images import image_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("GIF"), None),
        (image_bytes("BMP"), None),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, None),
        (b"", None),
    ],
    ids=["jpeg", "png", "gif", "bmp", "png-magic-only", "empty"],
)
def test_image_content_type_judges_the_bytes(data, expected):
    assert image_content_type(data) == expected


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_images_above_the_pixel_limit_are_refused_before_decoding(monkeypatch, image_format):
    data = image_bytes(image_format, size=(200, 100))
    monkeypatch.setattr("face_search_app.images.MAX_IMAGE_PIXELS", 200 * 100 - 1)

    assert image_content_type(data) is None
    with pytest.raises(ImageRejected, match="declares 200×100 pixels"):
        image_decode(data, max_side=1600)


def test_small_file_declaring_huge_dimensions_is_refused():
    # A PNG header that declares 100,000 × 100,000 pixels, in a few hundred bytes.
    small = image_bytes("PNG", size=(1, 1))
    header = b"IHDR" + (100_000).to_bytes(4, "big") * 2 + small[24:29]
    huge = small[:12] + header + zlib.crc32(header).to_bytes(4, "big") + small[33:]

    assert len(huge) < 1000
    with pytest.raises(ImageRejected, match="declares"):
        image_decode(huge, max_side=1600)


def test_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", size=(400, 300))

    assert image_content_type(data) == "image/jpeg"
    assert image_content_type(data[: len(data) // 2]) is None


@pytest.mark.parametrize("max_side", [1600, 500])
def test_decode_downscales_to_the_longest_side(max_side):
    data = image_bytes("JPEG", size=(3000, 2000))

    image = image_decode(data, max_side=max_side)

    assert max(image.size) == max_side
    assert image.mode == "RGB"
    assert abs(image.width / image.height - 1.5) < 0.01


def test_decode_keeps_small_images_as_they_are():
    assert image_decode(image_bytes("PNG", size=(300, 200)), max_side=1600).size == (300, 200)


def test_decode_applies_the_exif_orientation():
    upright = face_image("obama")
    data = exif_sideways_jpeg(upright)

    stored = Image.open(io.BytesIO(data))
    decoded = image_decode(data, max_side=4000)

    assert stored.size == (upright.height, upright.width)
    assert decoded.size == upright.size


@pytest.mark.parametrize("data", [b"GIF89a....", b"<html></html>", b"\xff\xd8\xff" + b"\x00" * 100])
def test_decode_refuses_what_is_not_a_usable_image(data):
    with pytest.raises(ImageRejected):
        image_decode(data, max_side=1600)
