"""Real faces for tests, benchmarks and the demo: public-domain portraits, edits of them, and photos with no face.

    face_image("obama2")                    # an RGB PIL image from testing/face_images/
    photo_edits("biden")["mirror"](face_image("biden"))    # the same person, still one detectable face
    session_photo_set()                     # labelled photos for a Pixora session: who is in each
    y4m_from_image(face_image("obama"), tmp_path / "selfie.y4m")   # a fake camera for Chromium

Each edit in photo_edits(name) keeps exactly one face that dlib's HOG detector finds in that portrait;
testing/tests/test_faces.py checks it (upsampled once, on photos fitted into 1600 px).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

FACE_IMAGES_DIR = Path(__file__).resolve().parent / "face_images"
OBAMA_PHOTOS = ("obama", "obama2", "obama3", "obama_partial_face", "obama_partial_face2")
PERSON_PHOTOS: dict[str, str] = dict.fromkeys(OBAMA_PHOTOS, "obama") | {"biden": "biden"}
EXIF_ORIENTATION_TAG = 0x0112
# Orientation 6: the stored pixels must be turned 90° clockwise to be seen upright.
EXIF_ORIENTATION_ROTATE_CW = 6
ROTATION_FILL = (127, 127, 127)
Y4M_FRAME_HEADER = b"FRAME\n"

Edit = Callable[[Image.Image], Image.Image]


def face_image(name: str) -> Image.Image:
    """One of testing/face_images/<name>.jpg, upright and in RGB."""
    with Image.open(FACE_IMAGES_DIR / f"{name}.jpg") as opened:
        return ImageOps.exif_transpose(opened).convert("RGB")


def face_image_bytes(name: str) -> bytes:
    """The JPEG file testing/face_images/<name>.jpg as stored."""
    return (FACE_IMAGES_DIR / f"{name}.jpg").read_bytes()


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    """The image encoded as a baseline JPEG."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _jpeg_q30(image: Image.Image) -> Image.Image:
    with Image.open(io.BytesIO(jpeg_bytes(image, quality=30))) as reencoded:
        return reencoded.convert("RGB")


def _rotated(degrees: float) -> Edit:
    def rotate(image: Image.Image) -> Image.Image:
        return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=ROTATION_FILL)

    return rotate


# Checked on every portrait with dlib's HOG detector (upsampled once, after fitting into 1600 px with
# bicubic, Lanczos, bilinear, box or Hamming resampling): each edit still shows exactly one face.
# Darker is 0.55, not 0.6: at 0.6 the bokeh behind obama3 scores as a second, small face (+0.1).
EDITS: dict[str, Edit] = {
    "mirror": ImageOps.mirror,
    "darker": lambda image: ImageEnhance.Brightness(image).enhance(0.55),
    "brighter": lambda image: ImageEnhance.Brightness(image).enhance(1.4),
    "jpeg_q30": _jpeg_q30,
    "rescaled": lambda image: image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS),
    "rotated_plus10": _rotated(10),
    "rotated_minus10": _rotated(-10),
}


# Mirrored, the same bokeh scores about 0 (a face with some resamplers, none with others): left out.
SKIPPED_EDITS = frozenset({("obama3", "mirror")})


def photo_edits(name: str) -> dict[str, Edit]:
    """The edits that keep the portrait's one face detectable."""
    return {edit: apply for edit, apply in EDITS.items() if (name, edit) not in SKIPPED_EDITS}


def beside(left: Image.Image, right: Image.Image) -> Image.Image:
    """Both photos side by side on one canvas, scaled to the same height so their faces are of similar size."""
    height = min(left.height, right.height)
    parts = [
        image.convert("RGB").resize((round(image.width * height / image.height), height), Image.Resampling.LANCZOS)
        for image in (left, right)
    ]
    gap = height // 20
    canvas = Image.new("RGB", (parts[0].width + gap + parts[1].width, height), (255, 255, 255))
    canvas.paste(parts[0], (0, 0))
    canvas.paste(parts[1], (parts[0].width + gap, 0))
    return canvas


def faceless_photo(seed: int, size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """A landscape-like picture (sky, hills, sun, buildings, grain) with no face in it, the same for the same seed."""
    rng = np.random.default_rng(seed)
    width, height = size
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    sky_top, sky_bottom = rng.uniform(40, 140, 3), rng.uniform(150, 250, 3)
    pixels = np.broadcast_to(sky_top + (sky_bottom - sky_top) * rows, (height, width, 3)).copy()

    columns = np.arange(width)
    for layer in range(3):
        base = height * (0.45 + 0.15 * layer)
        waves = (
            rng.uniform(10, 60) * np.sin(columns / rng.uniform(60, 300) + rng.uniform(0, 2 * np.pi)) for _ in range(3)
        )
        ridge = base + sum(waves, np.zeros(width))
        below = np.arange(height)[:, None] >= ridge[None, :]
        pixels[below] = rng.uniform(20, 160, 3) * (1 - 0.15 * layer)

    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = rng.uniform(0.1, 0.9) * width, rng.uniform(0.05, 0.3) * height, rng.uniform(20, 60)
    draw.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=(255, 230, 150))
    for _ in range(int(rng.integers(4, 9))):
        left, bottom = rng.uniform(0, width), rng.uniform(0.6, 1.0) * height
        box_width, box_height = rng.uniform(30, 160), rng.uniform(40, 300)
        colour = tuple(int(value) for value in rng.integers(30, 220, 3))
        draw.rectangle((left, bottom - box_height, left + box_width, bottom), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))

    grain = rng.normal(0.0, 6.0, (height, width, 3))
    return Image.fromarray((np.asarray(image, dtype=np.float64) + grain).clip(0, 255).astype(np.uint8))


def exif_sideways_jpeg(image: Image.Image) -> bytes:
    """A JPEG whose pixels lie on their side, with the EXIF Orientation that shows them upright when applied."""
    sideways = image.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = EXIF_ORIENTATION_ROTATE_CW
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class LabelledPhoto:
    id: str
    data: bytes
    people: frozenset[str]


@cache
def _session_photo_set() -> tuple[LabelledPhoto, ...]:
    photos = []
    for name, person in PERSON_PHOTOS.items():
        original = face_image(name)
        people = frozenset({person})
        photos.append(LabelledPhoto(name, face_image_bytes(name), people))
        photos.extend(
            LabelledPhoto(f"{name}-{edit}", jpeg_bytes(apply(original)), people)
            for edit, apply in photo_edits(name).items()
        )
    both = frozenset({"obama", "biden"})
    photos.append(LabelledPhoto("together-1", jpeg_bytes(beside(face_image("obama"), face_image("biden"))), both))
    photos.append(LabelledPhoto("together-2", jpeg_bytes(beside(face_image("biden"), face_image("obama2"))), both))
    photos.extend(LabelledPhoto(f"empty-{seed}", jpeg_bytes(faceless_photo(seed)), frozenset()) for seed in (1, 2, 3))
    return tuple(photos)


def session_photo_set() -> list[LabelledPhoto]:
    """The photos of a session: each portrait and its edits, two of Obama beside Biden, three with nobody."""
    return list(_session_photo_set())


def _rgb_to_yuv420(image: Image.Image) -> bytes:
    """Y, then U and V at half resolution: full-range BT.601 (JFIF), what C420jpeg declares."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    blue_difference = 128 - 0.168736 * red - 0.331264 * green + 0.5 * blue
    red_difference = 128 + 0.5 * red - 0.418688 * green - 0.081312 * blue

    def subsampled(plane: np.ndarray) -> np.ndarray:
        height, width = plane.shape
        averaged: np.ndarray = plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))
        return averaged

    planes = (luma, subsampled(blue_difference), subsampled(red_difference))
    return b"".join(np.rint(plane).clip(0, 255).astype(np.uint8).tobytes() for plane in planes)


def y4m_header(size: tuple[int, int]) -> bytes:
    """The YUV4MPEG2 stream header Chromium's file-backed fake camera accepts."""
    width, height = size
    return f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()


def y4m_from_image(image: Image.Image, path: Path, *, size: tuple[int, int] = (640, 480), frames: int = 30) -> Path:
    """Write a still video of the image, fitted in with black bars, for --use-file-for-fake-video-capture."""
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(f"4:2:0 needs an even frame size, not {width}x{height}")
    frame = ImageOps.pad(image.convert("RGB"), size, method=Image.Resampling.LANCZOS, color=(0, 0, 0))
    planes = _rgb_to_yuv420(frame)
    with path.open("wb") as video:
        video.write(y4m_header(size))
        for _ in range(frames):
            video.write(Y4M_FRAME_HEADER)
            video.write(planes)
    return path
