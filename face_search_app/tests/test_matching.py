from __future__ import annotations

import numpy as np
import pytest

from face_search_app.matching import SessionFaces, photos_nearest


def faces(rows: list[tuple[int, list[float]]]) -> SessionFaces:
    return SessionFaces(
        embeddings=np.array([vector for _, vector in rows], dtype=np.float32),
        photo_rows=np.array([photo for photo, _ in rows], dtype=np.int64),
    )


def test_one_entry_per_photo_closest_first():
    session = faces([(0, [0.5, 0]), (1, [0.1, 0]), (0, [0.2, 0]), (2, [0.3, 0]), (3, [2.0, 0])])

    matches = photos_nearest(session, np.array([0.0, 0.0]), threshold=0.6)

    assert [(m.photo_row, round(m.distance, 3)) for m in matches] == [(1, 0.1), (0, 0.2), (2, 0.3)]


@pytest.mark.parametrize(("threshold", "expected"), [(0.29, []), (0.3, [0]), (0.31, [0])])
def test_threshold_is_inclusive(threshold, expected):
    session = faces([(0, [0.3, 0.0])])

    assert [m.photo_row for m in photos_nearest(session, np.zeros(2), threshold=threshold)] == expected


def test_no_faces_no_matches():
    assert photos_nearest(SessionFaces.empty(128), np.zeros(128), threshold=0.6) == []


def test_matches_exact_distances_on_many_faces():
    rng = np.random.default_rng(7)
    embeddings = rng.normal(0, 0.1, size=(5000, 128)).astype(np.float32)
    photo_rows = np.arange(5000) // 2
    probe = embeddings[1234] + 0.001

    matches = photos_nearest(SessionFaces(embeddings, photo_rows), probe, threshold=0.6)

    expected = np.linalg.norm(embeddings - probe, axis=1)
    best_by_photo: dict[int, float] = {}
    for row, distance in enumerate(expected):
        if distance <= 0.6:
            photo = int(photo_rows[row])
            best_by_photo[photo] = min(best_by_photo.get(photo, 9.0), float(distance))
    assert [m.photo_row for m in matches] == sorted(best_by_photo, key=best_by_photo.__getitem__)
    assert matches[0].photo_row == 617
    assert all(abs(m.distance - best_by_photo[m.photo_row]) < 1e-5 for m in matches)
