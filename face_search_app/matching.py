"""The nearest faces to a selfie among a session's faces: exact search with numpy.

One function, `photos_nearest`, answers the question, so that a vector index can replace the exact search later
without its callers changing. Exact search over a session's vectors is a single matrix operation: milliseconds
for tens of thousands of faces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SessionFaces:
    """A session's faces as one matrix (a row per face) and, for each row, the index of its photo."""

    embeddings: np.ndarray
    photo_rows: np.ndarray
    # Each face's squared length, computed once: a search is then one matrix-vector product, with no copy.
    squared_norms: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "squared_norms", np.einsum("ij,ij->i", self.embeddings, self.embeddings))

    @classmethod
    def empty(cls, dimensions: int) -> SessionFaces:
        return cls(np.empty((0, dimensions), dtype=np.float32), np.empty(0, dtype=np.int64))


@dataclass(frozen=True)
class PhotoMatch:
    photo_row: int
    distance: float


def photos_nearest(faces: SessionFaces, probe: np.ndarray, *, threshold: float) -> list[PhotoMatch]:
    """Photos with a face within `threshold` of the probe (Euclidean distance), one entry each, closest first."""
    if len(faces.embeddings) == 0:
        return []
    probe = np.asarray(probe, dtype=faces.embeddings.dtype)
    # |f - p|² = |f|² - 2 f·p + |p|², clipped at 0 against rounding.
    squared = faces.squared_norms - 2 * (faces.embeddings @ probe) + probe @ probe
    distances = np.sqrt(np.maximum(squared, 0))
    close = np.flatnonzero(distances <= threshold)
    if close.size == 0:
        return []
    # Closest first; then the first row seen for each photo is that photo's closest face.
    close = close[np.argsort(distances[close], kind="stable")]
    photo_rows = faces.photo_rows[close]
    _, first = np.unique(photo_rows, return_index=True)
    first.sort()
    return [PhotoMatch(photo_row=int(photo_rows[i]), distance=float(distances[close[i]])) for i in first]
