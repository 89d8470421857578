"""Faces in an image, with dlib's models (run offline on the CPU; loaded once per process, on first use).

dlib's HOG detector finds frontal faces, the 5-point shape predictor aligns each, and the ResNet model turns it
into 128 numbers; two faces of one person are closer than FACE_MATCH_THRESHOLD (0.6 in dlib's documentation).
The model files come from the `face_recognition_models` package; its `__init__` needs `pkg_resources`, so the
files are found by the package's location without importing it.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dlib
import numpy as np
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from face_search_app.models import EMBEDDING_DTYPE

MODELS_PACKAGE = "face_recognition_models"
SHAPE_PREDICTOR_FILE = "shape_predictor_5_face_landmarks.dat"
RECOGNITION_MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
# One upsampling finds faces down to about 40 px wide: a face in a group photo, not only a portrait.
DETECTOR_UPSAMPLE = 1


@dataclass(frozen=True)
class DetectedFace:
    top: int
    right: int
    bottom: int
    left: int
    embedding: np.ndarray

    @property
    def area(self) -> int:
        return (self.bottom - self.top) * (self.right - self.left)


@dataclass(frozen=True)
class FaceModels:
    detector: dlib.fhog_object_detector
    shape_predictor: dlib.shape_predictor
    encoder: dlib.face_recognition_model_v1
    # dlib's models are not documented as thread-safe: a process with threads runs one image at a time.
    lock: threading.Lock


def models_directory() -> Path:
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImproperlyConfigured(f"The {MODELS_PACKAGE} package is not installed (see requirements.txt).")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@cache
def face_models() -> FaceModels:
    """This process's models, loaded on first use (about half a second)."""
    directory = models_directory()
    return FaceModels(
        detector=dlib.get_frontal_face_detector(),
        shape_predictor=dlib.shape_predictor(str(directory / SHAPE_PREDICTOR_FILE)),
        encoder=dlib.face_recognition_model_v1(str(directory / RECOGNITION_MODEL_FILE)),
        lock=threading.Lock(),
    )


def faces_detect(image: Image.Image) -> list[DetectedFace]:
    """Every face dlib finds in the image, each with its box and its 128-d embedding."""
    pixels = np.asarray(image.convert("RGB"))
    models = face_models()
    with models.lock:
        rectangles = models.detector(pixels, DETECTOR_UPSAMPLE)
        faces = []
        for rectangle in rectangles:
            shape = models.shape_predictor(pixels, rectangle)
            embedding = np.asarray(models.encoder.compute_face_descriptor(pixels, shape), dtype=EMBEDDING_DTYPE)
            faces.append(
                DetectedFace(
                    top=max(rectangle.top(), 0),
                    right=min(rectangle.right(), image.width),
                    bottom=min(rectangle.bottom(), image.height),
                    left=max(rectangle.left(), 0),
                    embedding=embedding,
                )
            )
    return faces
