"""What FacePass derives from a session's photos (faces, embeddings, index state) and the customers' searches.

All of it lives in FacePass's own database; Pixora's is only ever read.
"""

from __future__ import annotations

import uuid

import numpy as np
import numpy.typing as npt
from django.db import models
from django.utils import timezone

# dlib's ResNet model gives 128 numbers per face; stored as little-endian float32.
EMBEDDING_DIMENSIONS = 128
EMBEDDING_DTYPE = np.dtype("<f4")


def embedding_to_bytes(embedding: npt.ArrayLike) -> bytes:
    return np.asarray(embedding, dtype=EMBEDDING_DTYPE).reshape(EMBEDDING_DIMENSIONS).tobytes()


def embedding_from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(data, dtype=EMBEDDING_DTYPE)


class SessionIndex(models.Model):
    """The face index of one Pixora session: whether it is complete, and how far indexing has come."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INDEXING = "indexing", "Indexing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    session_id = models.UUIDField(primary_key=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Bumped on every change of the session's faces: caches of the face matrix are keyed on it.
    generation = models.PositiveIntegerField(default=0)
    photos_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    requested_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    # Set when Pixora turned FacePass off for the session: its faces are dropped FACE_INDEX_RETENTION_DAYS later.
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "session face index"
        verbose_name_plural = "session face indexes"

    def __str__(self) -> str:
        return f"{self.session_id} ({self.status})"


class IndexedPhoto(models.Model):
    """One photo of a session as the index knows it: where it is, what its bytes were, and its faces."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"

    session_id = models.UUIDField()
    photo_id = models.CharField(max_length=200)
    url = models.URLField(max_length=2000)
    thumbnail_url = models.URLField(max_length=2000, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # SHA-256 of the bytes last indexed: the same content is not detected again.
    content_sha256 = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session_id", "photo_id"], name="unique_photo_per_session")]
        indexes = [models.Index(fields=["session_id", "status"])]

    def __str__(self) -> str:
        return f"{self.photo_id} ({self.status})"


class Face(models.Model):
    """A face found in a photo: its box in the downscaled image, and its embedding."""

    photo = models.ForeignKey(IndexedPhoto, on_delete=models.CASCADE, related_name="faces")
    session_id = models.UUIDField(db_index=True)
    top = models.IntegerField()
    right = models.IntegerField()
    bottom = models.IntegerField()
    left = models.IntegerField()
    embedding = models.BinaryField()

    def __str__(self) -> str:
        return f"face in {self.photo_id}"


class FaceSearchRequest(models.Model):
    """A customer's selfie search in one session: its state, and the photos it matched."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        INDEXING = "indexing", "Indexing"
        SEARCHING = "searching", "Searching"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    consent_at = models.DateTimeField()
    # The selfie's embedding, kept only while the search waits for the session's index.
    embedding = models.BinaryField(null=True, editable=False)
    matches = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    selfie_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "face-search request"

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class Selfie(models.Model):
    """The selfie's bytes, in the database so that any worker on any machine reads them; deleted once used."""

    request = models.OneToOneField(FaceSearchRequest, on_delete=models.CASCADE, primary_key=True, related_name="selfie")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"selfie of {self.request_id}"


class SweepState(models.Model):
    """How far a periodic sweep of Pixora's sessions has read (their `updated_at`), kept across restarts."""

    name = models.CharField(max_length=64, primary_key=True)
    # The last session read, by (updated_at, id): the next sweep starts after it, ties included.
    last_seen = models.DateTimeField(null=True, blank=True)
    last_id = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen}"
