"""The face-search bench end to end at tiny sizes: each part measured, the report well formed.

No timing is asserted: speed is what `python -m bench.faces` reports, not what a test checks.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.faces.photos import PHOTO_SIDE, bench_photo
from bench.faces.report import targets
from bench.faces.run import MATCH_THRESHOLD, random_session_faces
from bench.tests.helpers import bench_module_run, markdown_tables
from face_search_app.matching import photos_nearest
from testing.face_stack import face_search_stack_missing
from testing.services import postgres_test_url, service_missing

SMOKE_TIMEOUT = 180
SMOKE_PHOTOS = 6
SMOKE_SELFIES = 2


def test_bench_photos_are_distinct_and_1600_px_on_the_longest_side():
    photos = [bench_photo(index) for index in (0, 1, 10, 11)]

    assert len({photo.data for photo in photos}) == len(photos)
    for photo in photos:
        with Image.open(io.BytesIO(photo.data)) as image:
            assert max(image.size) == PHOTO_SIDE


def test_the_probe_of_the_search_step_finds_its_planted_faces():
    faces, probe = random_session_faces(1000, np.random.default_rng(1))

    matches = photos_nearest(faces, probe, threshold=MATCH_THRESHOLD)

    assert 1 <= len(matches) <= 12
    assert np.allclose(np.linalg.norm(faces.embeddings[100:110], axis=1), 1.0, atol=1e-5)


def test_targets_say_met_or_not_met_from_the_figures():
    results = {
        "floor": {"photos_per_s": 2.0, "cpu_s_per_photo": 1.0},
        "indexing": {"photos_per_s": 1.5, "cpu_s_per_photo": 1.25},
        "selfies": [{"customers": 1, "client": {"p50_ms": 900.0}}],
        "matching": [{"faces": 10_000, "p95_ms": 12.0}, {"faces": 100_000, "p95_ms": 30.0}],
    }

    checks = {check["target"].split(":")[0]: check for check in targets(results)}

    assert checks["indexing"]["measured"] == 0.75
    assert checks["indexing"]["met"] is False
    assert checks["indexing"]["by_cpu"] == 0.8
    assert checks["selfie to result, 1 customer"]["met"] is True
    met = [check["met"] for name, check in checks.items() if name.startswith("search step")]
    assert met == [False, True]


@pytest.fixture(scope="module")
def faces_output(tmp_path_factory) -> Path:
    # The face bench starts the end-to-end tests' stack.
    if reason := face_search_stack_missing():
        service_missing(reason)
    settings = {
        "BENCH_FACES_PHOTOS": str(SMOKE_PHOTOS),
        "BENCH_FACES_WARMUP_PHOTOS": "0",
        "BENCH_FACES_SEARCH_PHOTOS": "100",
        "BENCH_FACES_SELFIES": str(SMOKE_SELFIES),
        "BENCH_FACES_WARMUP_SELFIES": "1",
        "BENCH_FACES_CUSTOMERS": "1,2",
        "BENCH_FACES_MATCH_SIZES": "1000,10000",
        "BENCH_FACES_MATCH_RUNS": "20",
        "BENCH_FACES_LOAD_FACES": "1000",
        "BENCH_LOAD_SAMPLE": "0.1",
        "BENCH_POSTGRES_URL": postgres_test_url(),
    }
    output = tmp_path_factory.mktemp("bench-faces")
    return bench_module_run("bench.faces", settings, output=output, timeout=SMOKE_TIMEOUT)


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_each_part_produced_figures(faces_output):
    results = json.loads((faces_output / "faces-latest.json").read_text())

    floor, indexing = results["floor"], results["indexing"]
    assert floor["photos"] == SMOKE_PHOTOS and floor["photos_per_s"] > 0 and floor["cpu_s_per_photo"] > 0
    assert indexing["photos"] == SMOKE_PHOTOS and indexing["photos_per_s"] > 0
    assert indexing["indexed"] + indexing["failed"] == SMOKE_PHOTOS
    assert indexing["faces"] == floor["faces"], "the worker and the floor found the same faces in the same photos"
    assert [row["customers"] for row in results["selfies"]] == [1, 2]
    for row in results["selfies"]:
        assert row["searches"] == SMOKE_SELFIES
        assert row["done"] == SMOKE_SELFIES, row["failed_labels"]
        assert row["matches_median"] > 0
        assert 0 < row["client"]["p50_ms"] <= row["client"]["p95_ms"]
        assert 0 < row["server"]["p50_ms"] <= row["client"]["max_ms"]
    assert [row["faces"] for row in results["matching"]] == [1000, 10000]
    assert all(0 < row["p50_ms"] <= row["p95_ms"] and row["matches"] > 0 for row in results["matching"])
    assert results["matrix_load"]["faces"] == 1000 and results["matrix_load"]["p50_ms"] > 0
    for part in (floor, indexing, *results["selfies"], *results["matching"]):
        assert set(part["load_before"]) == {"busy_percent", "load1", "loadavg"}


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_the_report_is_well_formed_markdown(faces_output):
    text = (faces_output / "faces-latest.md").read_text()

    tables = markdown_tables(text)
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table[0]
        assert set("".join(table[1])) <= set("-: ")
    targets_table = tables[0]
    assert targets_table[0][:4] == ["target", "measured", "goal", "met"]
    assert len(targets_table) == 2 + 3, "indexing ÷ floor, selfie p50, the search step on 10,000 faces"
    assert all(row[3] in {"met", "**not met**"} for row in targets_table[2:])
    for heading in ("## 1. Indexing throughput", "## 2. Selfie to result", "## 3. The search step alone"):
        assert heading in text
    assert "Machine:" in text
