"""The face-search results as Markdown (faces-latest.md), with the issue's targets checked."""

from __future__ import annotations

from typing import Any

from bench.report import fmt, table

INDEXING_FLOOR_RATIO = 0.8
SELFIE_P50_MS = 1000.0
SEARCH_STEP_P95_MS = {10_000: 10.0, 100_000: 50.0}


def _load(part: dict[str, Any] | None) -> str:
    if not part or "load_before" not in part:
        return "—"
    load = part["load_before"]
    return f"{load['busy_percent']:.0f} %, {' / '.join(load['loadavg'])}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "—"}[met]


def indexing_ratio(results: dict[str, Any]) -> float | None:
    indexing, floor = results.get("indexing"), results.get("floor")
    if not indexing or not floor or not floor.get("photos_per_s"):
        return None
    ratio: float = indexing["photos_per_s"] / floor["photos_per_s"]
    return round(ratio, 3)


def indexing_cpu_ratio(results: dict[str, Any]) -> float | None:
    """The floor's CPU per photo ÷ the worker's (below 1: the worker spends more CPU on each photo)."""
    indexing, floor = results.get("indexing"), results.get("floor")
    if not indexing or not floor or not indexing.get("cpu_s_per_photo"):
        return None
    ratio: float = floor["cpu_s_per_photo"] / indexing["cpu_s_per_photo"]
    return round(ratio, 3)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with what was measured and whether it was met."""
    checks = []

    def add(name: str, measured: float | None, goal: str, met: bool | None, by_cpu: float | None = None) -> None:
        checks.append({"target": name, "measured": measured, "goal": goal, "met": met, "by_cpu": by_cpu})

    ratio = indexing_ratio(results)
    add(
        "indexing: photos/s through the worker ÷ the floor",
        ratio,
        f"≥ {INDEXING_FLOOR_RATIO:g}",
        None if ratio is None else ratio >= INDEXING_FLOOR_RATIO,
        indexing_cpu_ratio(results),
    )
    one = next((row for row in results.get("selfies", []) if row["customers"] == 1), None)
    p50 = one["client"]["p50_ms"] if one else None
    add(
        "selfie to result, 1 customer: p50 ms (client-observed)",
        p50,
        f"≤ {SELFIE_P50_MS:,.0f}",
        None if p50 is None else p50 <= SELFIE_P50_MS,
    )
    for row in results.get("matching", []):
        goal = SEARCH_STEP_P95_MS.get(row["faces"])
        if goal is not None:
            add(
                f"search step (photos_nearest), {row['faces']:,} faces: p95 ms",
                row["p95_ms"],
                f"≤ {goal:g}",
                row["p95_ms"] <= goal,
            )
    return checks


def indexing_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    floor, indexing = results.get("floor"), results.get("indexing")
    if floor:
        rows.append(
            [
                f"floor: image_decode + faces_detect, Pool({floor['processes']})",
                f"{floor['photos']:,} of {floor['of_photos']:,}",
                fmt(floor["seconds"], 1),
                fmt(floor["photos_per_s"]),
                fmt(floor["cpu_s_per_photo"]),
                fmt(floor["faces"]),
                "—",
                _load(floor),
            ]
        )
    if indexing:
        rows.append(
            [
                "FacePass: webhook → worker → `ready`",
                fmt(indexing["photos"]),
                fmt(indexing["seconds"], 1),
                fmt(indexing["photos_per_s"]),
                fmt(indexing["cpu_s_per_photo"]),
                fmt(indexing["faces"]),
                fmt(indexing["failed"]),
                _load(indexing),
            ]
        )
    return rows


def markdown(results: dict[str, Any]) -> str:
    run = results["run"]
    machine = run["machine"]
    config = run["config"]
    indexing, matrix = results.get("indexing"), results.get("matrix_load")
    lines = [
        "# FacePass face-search benchmark",
        "",
        f"Run `{run['run_id']}` at commit `{run['commit']}`, {run['started']} → {run.get('finished', '—')} (UTC).",
        f"Machine: {machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}. Celery worker and floor: {config['concurrency']} processes each.",
        "",
        "## Targets",
        "",
        *table(
            ["target", "measured", "goal", "met", "the same ratio by CPU per photo"],
            [
                [c["target"], fmt(c["measured"], 3), c["goal"], _met(c["met"]), fmt(c["by_cpu"], 3)]
                for c in targets(results)
            ],
        ),
        "",
        "## 1. Indexing throughput",
        "",
        *table(
            [
                "who",
                "photos",
                "seconds",
                "photos/s",
                "CPU s/photo",
                "faces found",
                "failed photos",
                "load before (busy %, load 1/5/15)",
            ],
            indexing_rows(results),
        ),
        "",
    ]
    if indexing:
        lines += [
            f"Through the worker, the first photo was indexed {fmt(indexing['first_indexed_after_s'])} s after the "
            f"webhook and the last {fmt(indexing['last_indexed_after_s'])} s after it; "
            f"ratio to the floor: **{fmt(indexing_ratio(results), 3)}** by photos/s, "
            f"{fmt(indexing_cpu_ratio(results), 3)} by CPU per photo.",
            "",
        ]
    selfies = results.get("selfies", [])
    lines += [
        "## 2. Selfie to result (upload → `done`)",
        "",
    ]
    if selfies:
        session = selfies[0]["session"]
        lines += [
            f"A ready session of {session['session_photos']:,} photos, {session['seeded']['faces']:,} faces "
            "(seeded through the ORM: real embeddings of the bench photos plus noise for "
            f"{session['known_share_percent']:g} % of the faces, random strangers for the rest). "
            f"Customers poll every {config['poll_ms']:g} ms.",
            "",
        ]
    lines += table(
        [
            "customers",
            "searches",
            "done / failed",
            "client p50 ms",
            "client p95 ms",
            "client max ms",
            "DB finished − created p50 ms",
            "DB p95 ms",
            "searches/s",
            "matches (median)",
            "load before (busy %, load 1/5/15)",
        ],
        [
            [
                str(row["customers"]),
                str(row["searches"]),
                f"{row['done']} / {row['failed']}",
                fmt(row["client"]["p50_ms"], 0),
                fmt(row["client"]["p95_ms"], 0),
                fmt(row["client"]["max_ms"], 0),
                fmt(row["server"]["p50_ms"], 0),
                fmt(row["server"]["p95_ms"], 0),
                fmt(row["searches_per_s"]),
                str(row["matches_median"]),
                _load(row),
            ]
            for row in selfies
        ],
    )
    lines += [
        "",
        "## 3. The search step alone",
        "",
        *table(
            ["faces", "photos", "runs", "p50 ms", "p95 ms", "max ms", "matches", "load before (busy %, load 1/5/15)"],
            [
                [
                    fmt(row["faces"]),
                    fmt(row["photos"]),
                    str(row["count"]),
                    fmt(row["p50_ms"], 3),
                    fmt(row["p95_ms"], 3),
                    fmt(row["max_ms"], 3),
                    str(row["matches"]),
                    _load(row),
                ]
                for row in results.get("matching", [])
            ],
        ),
        "",
    ]
    if matrix:
        lines += [
            f"Building the matrix from PostgreSQL (`_session_faces_load`, {matrix['faces']:,} faces of "
            f"{matrix['photos']:,} photos): p50 {fmt(matrix['p50_ms'], 1)} ms, p95 {fmt(matrix['p95_ms'], 1)} ms "
            f"over {matrix['count']} runs (the first, {fmt(matrix['first_ms'], 1)} ms, not counted). A worker "
            "process does this once per index generation, then keeps the matrix.",
            "",
        ]
    lines += [
        "## How to read this",
        "",
        "- **Indexing**: the session's photos are served by the stand-in Pixora API over HTTP; Pixora's signed "
        "`session.photos_changed` webhook queues the indexing as in production; one Celery worker "
        "(`-Q search,index`, prefork, its default concurrency) on its own Redis does the work; the time runs from "
        "the webhook until the SessionIndex row is `ready` (polled every 0.2 s). The worker indexed a small "
        "session first (uncounted), so its processes had loaded dlib's models.",
        "- **The floor** runs `image_decode(data, max_side=1600)` and `faces_detect(image)` on the same photos in a "
        "`multiprocessing.Pool` of as many processes as the worker, models loaded before the clock starts: "
        "no queue, no HTTP, no database. When it ran on a sample (`BENCH_FACES_FLOOR_PHOTOS`), the sample is "
        "every n-th photo, the same mix.",
        "- **CPU s/photo** is the user + system CPU of the worker's (or the pool's) processes divided by the "
        "photos; it leaves out PostgreSQL, Redis and the stand-in API. The floor and the worker run minutes apart "
        "on a shared machine: when the load before them differs, the ratio by CPU per photo is the steadier one.",
        "- **Selfie to result**, client-observed: from the start of the upload until the status endpoint answers "
        "`done`, through the app server (project_config/server.py). **DB finished − created** is the same search "
        "as the database saw it: from the row's creation (the upload checked) to its end, no HTTP and no polling. "
        "A few searches per worker process ran first, uncounted (models and the session's faces loaded).",
        "- **The search step** is `photos_nearest` on random unit vectors (128 float32, "
        "5 faces a photo) with a dozen faces planted near the probe, in this process.",
        "- **load before** is how busy the whole machine was just before the part (percent of all cores) and "
        "its load averages: other work on the machine lowers every figure here, the floor's too.",
    ]
    if results.get("notes"):
        lines += ["", "## Notes from this run", "", *[f"- {note}" for note in results["notes"]]]
    return "\n".join(lines) + "\n"
