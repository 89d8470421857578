"""The real-face material: each labelled photo shows the faces its labels say, and they are whose they say."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import dlib
import numpy as np
import pytest
from PIL import Image, ImageOps

from face_search_app.engine import models_directory
from testing import faces
from testing.faces import (
    EDITS,
    LabelledPhoto,
    beside,
    exif_sideways_jpeg,
    face_image,
    face_image_bytes,
    faceless_photo,
    jpeg_bytes,
    session_photo_set,
    y4m_from_image,
    y4m_header,
)

DETECTION_MAX_SIDE = 1600
SAME_PERSON_DISTANCE = 0.6
MODELS_DIRECTORY = models_directory()
# dlib's detector keeps scratch buffers and its network its activations, so each thread loads its own.
_models = threading.local()


@dataclass(frozen=True)
class FaceModels:
    detector: Any
    shapes: Any
    encoder: Any

    @classmethod
    def load(cls) -> FaceModels:
        return cls(
            detector=dlib.get_frontal_face_detector(),
            shapes=dlib.shape_predictor(str(MODELS_DIRECTORY / "shape_predictor_5_face_landmarks.dat")),
            encoder=dlib.face_recognition_model_v1(str(MODELS_DIRECTORY / "dlib_face_recognition_resnet_model_v1.dat")),
        )

    @classmethod
    def of_this_thread(cls) -> FaceModels:
        if not hasattr(_models, "loaded"):
            _models.loaded = cls.load()
        models: FaceModels = _models.loaded
        return models

    def detect(self, image: Image.Image) -> list[Any]:
        return list(self.detector(fitted_pixels(image), 1))

    def embeddings(self, image: Image.Image) -> list[np.ndarray]:
        pixels = fitted_pixels(image)
        return [
            np.array(self.encoder.compute_face_descriptor(pixels, self.shapes(pixels, rect), 1))
            for rect in self.detector(pixels, 1)
        ]


def fitted_pixels(image: Image.Image) -> np.ndarray:
    """The image in RGB, scaled down so that its longest side is at most DETECTION_MAX_SIDE."""
    image = image.convert("RGB")
    scale = DETECTION_MAX_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    return np.asarray(image)


@dataclass(frozen=True)
class Analysed:
    people: frozenset[str]
    embeddings: list[np.ndarray]


def analyse(photo: LabelledPhoto) -> Analysed:
    with Image.open(io.BytesIO(photo.data)) as image:
        return Analysed(photo.people, FaceModels.of_this_thread().embeddings(image))


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels.load()


@pytest.fixture(scope="module")
def analysed() -> dict[str, Analysed]:
    """Every photo of the session set with the faces found in it, two photos at a time."""
    photos = session_photo_set()
    with ThreadPoolExecutor(max_workers=2) as pool:
        return {photo.id: result for photo, result in zip(photos, pool.map(analyse, photos), strict=True)}


def distance(one: np.ndarray, other: np.ndarray) -> float:
    return float(np.linalg.norm(one - other))


def single_faces(analysed: dict[str, Analysed], person: str) -> dict[str, np.ndarray]:
    return {
        photo_id: photo.embeddings[0]
        for photo_id, photo in analysed.items()
        if photo.people == {person} and len(photo.embeddings) == 1
    }


def test_every_photo_shows_as_many_faces_as_it_has_people(analysed):
    miscounted = {
        photo_id: (len(photo.embeddings), sorted(photo.people))
        for photo_id, photo in analysed.items()
        if len(photo.embeddings) != len(photo.people)
    }

    assert miscounted == {}
    assert sum(len(photo.embeddings) == 2 for photo in analysed.values()) == 2
    assert sum(not photo.embeddings for photo in analysed.values()) == 3


def test_obama_faces_match_each_other_and_not_biden(analysed):
    obama, biden = single_faces(analysed, "obama"), single_faces(analysed, "biden")
    same = {(a, b): distance(obama[a], obama[b]) for a, b in combinations(obama, 2)}
    other = {(a, b): distance(obama[a], biden[b]) for a in obama for b in biden}
    print(f"obama-obama at most {max(same.values()):.3f}, obama-biden at least {min(other.values()):.3f}")

    assert len(obama) == len(faces.OBAMA_PHOTOS) * (1 + len(EDITS)) - len(faces.SKIPPED_EDITS)
    assert {pair: d for pair, d in same.items() if d >= SAME_PERSON_DISTANCE} == {}
    assert {pair: d for pair, d in other.items() if d <= SAME_PERSON_DISTANCE} == {}


def test_biden_faces_match_each_other(analysed):
    biden = single_faces(analysed, "biden")
    same = {(a, b): distance(biden[a], biden[b]) for a, b in combinations(biden, 2)}

    assert len(biden) == 1 + len(faces.photo_edits("biden"))
    assert {pair: d for pair, d in same.items() if d >= SAME_PERSON_DISTANCE} == {}


@pytest.mark.parametrize("photo_id", ["together-1", "together-2"])
def test_photos_together_show_obama_and_biden(analysed, photo_id):
    references = {"obama": analysed["obama"].embeddings[0], "biden": analysed["biden"].embeddings[0]}
    recognised = {
        person
        for face in analysed[photo_id].embeddings
        for person, reference in references.items()
        if distance(face, reference) < SAME_PERSON_DISTANCE
    }

    assert len(analysed[photo_id].embeddings) == 2
    assert recognised == {"obama", "biden"}


def test_session_photo_set_is_labelled_and_the_same_every_time():
    photos = session_photo_set()
    rebuilt = faces._session_photo_set.__wrapped__()
    ids = [photo.id for photo in photos]

    assert [(photo.id, photo.data, photo.people) for photo in rebuilt] == [
        (photo.id, photo.data, photo.people) for photo in photos
    ]
    assert len(set(ids)) == len(ids)
    assert {"obama2-mirror", "biden-rotated_minus10", "together-1", "together-2", "empty-2"} <= set(ids)
    assert set().union(*(photo.people for photo in photos)) == {"obama", "biden"}
    assert all(photo.data.startswith(b"\xff\xd8\xff") for photo in photos)


def test_skipped_edits_are_left_out_of_the_set():
    ids = {photo.id for photo in session_photo_set()}

    assert faces.SKIPPED_EDITS
    assert all(f"{name}-{edit}" not in ids for name, edit in faces.SKIPPED_EDITS)
    assert all(edit not in faces.photo_edits(name) for name, edit in faces.SKIPPED_EDITS)


def test_face_images_are_rgb_jpegs():
    image = face_image("obama2")

    assert image.mode == "RGB"
    assert image.size == (626, 1200)
    assert face_image_bytes("obama2").startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(jpeg_bytes(image, quality=30))).size == image.size


def test_beside_puts_both_photos_on_one_canvas_at_the_same_height():
    left, right = face_image("obama"), face_image("biden")
    canvas = beside(left, right)

    assert canvas.height == min(left.height, right.height)
    assert canvas.width > round(left.width * canvas.height / left.height) + round(
        right.width * canvas.height / right.height
    )


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_faceless_photos_have_no_face_and_depend_only_on_the_seed(models, seed):
    photo = faceless_photo(seed, size=(900, 600))

    assert photo.size == (900, 600)
    assert photo.tobytes() == faceless_photo(seed, size=(900, 600)).tobytes()
    assert photo.tobytes() != faceless_photo(seed + 100, size=(900, 600)).tobytes()
    assert models.detect(photo) == []


@pytest.mark.parametrize("name", ["obama2", "biden"])
def test_exif_sideways_jpeg_shows_the_face_only_once_oriented(models, name):
    upright = face_image(name)
    with Image.open(io.BytesIO(exif_sideways_jpeg(upright))) as stored:
        orientation = stored.getexif().get(faces.EXIF_ORIENTATION_TAG)
        raw = stored.convert("RGB")
        oriented = ImageOps.exif_transpose(stored)

    assert orientation in (6, 8)
    assert raw.size == (upright.height, upright.width)
    assert oriented.size == upright.size
    assert models.detect(raw) == []
    assert len(models.detect(oriented)) == 1


def test_y4m_file_holds_the_header_and_every_frame(tmp_path: Path):
    path = y4m_from_image(face_image("obama"), tmp_path / "selfie.y4m", size=(320, 240), frames=7)
    data = path.read_bytes()
    header = b"YUV4MPEG2 W320 H240 F30:1 Ip A1:1 C420jpeg\n"
    frame_size = len(b"FRAME\n") + 320 * 240 * 3 // 2

    assert y4m_header((320, 240)) == header
    assert len(data) == len(header) + 7 * frame_size
    assert data.startswith(header + b"FRAME\n")
    assert data.count(b"FRAME\n") >= 7
    assert data[len(header) : len(header) + frame_size] == data[-frame_size:]


def test_y4m_default_frame_is_640_by_480_at_30_frames(tmp_path: Path):
    data = y4m_from_image(face_image("biden"), tmp_path / "selfie.y4m").read_bytes()

    assert data.startswith(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\nFRAME\n")
    assert len(data) == len(y4m_header((640, 480))) + 30 * (6 + 640 * 480 * 3 // 2)


def test_y4m_converts_full_range_bt601_and_letterboxes(tmp_path: Path):
    red_square = Image.new("RGB", (100, 100), (255, 0, 0))
    data = y4m_from_image(red_square, tmp_path / "red.y4m", size=(64, 32), frames=1).read_bytes()
    frame = np.frombuffer(data[len(y4m_header((64, 32))) + 6 :], dtype=np.uint8)
    luma = frame[: 64 * 32].reshape(32, 64)
    blue_difference = frame[64 * 32 : 64 * 32 + 32 * 16].reshape(16, 32)
    red_difference = frame[64 * 32 + 32 * 16 :].reshape(16, 32)

    assert (luma[:, 24:40] == 76).all()
    assert (blue_difference[:, 12:20] == 85).all()
    assert (red_difference[:, 12:20] == 255).all()
    assert (luma[:, :16] == 0).all() and (luma[:, 48:] == 0).all()
    assert (blue_difference[:, :8] == 128).all() and (red_difference[:, 24:] == 128).all()


def test_y4m_refuses_an_odd_frame_size(tmp_path: Path):
    with pytest.raises(ValueError, match="even"):
        y4m_from_image(face_image("obama"), tmp_path / "odd.y4m", size=(641, 480))
