"""The bench's photos: distinct JPEGs of 1,600 px on the longest side, made from testing/faces.py's portraits.

Each photo starts from one of a few dozen bases (a portrait or an edit of it, two people side by side, a
landscape with nobody) and gets its own small crop and brightness, so that no two photos have the same bytes.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageEnhance

from testing.faces import PERSON_PHOTOS, beside, face_image, face_image_bytes, faceless_photo, jpeg_bytes, photo_edits

PHOTO_SIDE = 1600
FACELESS_SIZE = (1600, 1067)
FACELESS_SEEDS = tuple(range(1, 7))
# In every ten photos: eight portraits, one of two people side by side, one with nobody in it.
MIX = ("portrait",) * 8 + ("pair", "empty")
JPEG_QUALITY = 88
SELFIE_EDITS = ("original", "mirror", "brighter")


@dataclass(frozen=True)
class BenchPhoto:
    id: str
    base: str
    data: bytes


def _fitted(image: Image.Image, side: int = PHOTO_SIDE) -> Image.Image:
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


@cache
def _base_names() -> dict[str, tuple[str, ...]]:
    portraits = tuple(f"{name}/{edit}" for name in PERSON_PHOTOS for edit in ("original", *photo_edits(name)))
    return {
        "portrait": portraits,
        "pair": ("obama+biden", "biden+obama2"),
        "empty": tuple(f"empty/{seed}" for seed in FACELESS_SEEDS),
    }


@cache
def _base(name: str) -> Image.Image:
    """One base photo at 1,600 px on its longest side."""
    if name.startswith("empty/"):
        return faceless_photo(int(name.split("/")[1]), size=FACELESS_SIZE)
    if "+" in name:
        left, right = name.split("+")
        return _fitted(beside(face_image(left), face_image(right)))
    person, edit = name.split("/")
    image = face_image(person)
    return _fitted(image if edit == "original" else photo_edits(person)[edit](image))


def photo_base(index: int) -> str:
    names = _base_names()[MIX[index % len(MIX)]]
    return names[(index // len(MIX) * 7 + index) % len(names)]


def bench_photo(index: int) -> BenchPhoto:
    """Photo number `index`: the same bytes for the same index, different bytes from every other index."""
    base_name = photo_base(index)
    base = _base(base_name)
    # A crop of 0.3–2.2 % per side and a brightness of 0.92–1.08, both from the index.
    crop = 0.003 + 0.019 * ((index * 37) % 100) / 100
    dx, dy = round(base.width * crop), round(base.height * crop * 0.8)
    cropped = base.crop((dx, dy, base.width - dx, base.height - dy))
    brightness = 0.92 + 0.16 * ((index * 53) % 100) / 100
    image = ImageEnhance.Brightness(_fitted(cropped)).enhance(brightness)
    return BenchPhoto(id=f"bench-{index:05d}", base=base_name, data=jpeg_bytes(image, quality=JPEG_QUALITY))


def bench_photos(count: int, *, processes: int = 2) -> list[BenchPhoto]:
    """Photos 0 … count − 1, made in `processes` processes."""
    if count <= 8:
        return [bench_photo(index) for index in range(count)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return pool.map(bench_photo, range(count), chunksize=8)


def bench_selfies(count: int) -> list[tuple[str, bytes]]:
    """Selfies as a phone would send them: each portrait as stored, mirrored or brighter; (label, JPEG bytes)."""
    selfies = []
    names = list(PERSON_PHOTOS)
    for index in range(count):
        name = names[index % len(names)]
        edit = SELFIE_EDITS[(index // len(names)) % len(SELFIE_EDITS)]
        edits = photo_edits(name)
        if edit not in edits:
            edit = "original"
        data = face_image_bytes(name) if edit == "original" else jpeg_bytes(edits[edit](face_image(name)))
        selfies.append((f"{name}/{edit}", data))
    return selfies
