"""The bench harness end to end, briefly: every scenario for about a second, and the table well formed.

No timing is asserted: speed is what `make bench` reports, not what a test checks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import redis

from bench.data import bench_session_id
from bench.load import parse_wrk, pgbench_path
from bench.profiling import summarise, summary_markdown
from bench.report import SUMMARY_COLUMNS
from bench.scenarios import SCENARIOS
from bench.tests.helpers import bench_module_run, markdown_tables
from testing.postgres import postgres_server_available
from testing.services import postgres_test_url, redis_test_url, service_missing

BENCH_TIMEOUT = 240


def test_generated_ids_are_the_ones_postgres_computes():
    # psql: SELECT md5('bench-1')::uuid
    assert bench_session_id(1) == "15cbd790-ff1b-7cbb-bb3a-8e2b779a254f"


def test_wrk_result_line_is_parsed_into_figures():
    output = (
        "Running 1s test @ http://127.0.0.1:1\n"
        'BENCH_RESULT {"requests": 2000, "duration_us": 2000000, "bytes": 10, "errors_connect": 1, '
        '"errors_read": 2, "errors_write": 0, "errors_timeout": 3, "errors_status": 4, "latency_p50_us": 1500, '
        '"latency_p90_us": 2500, "latency_p99_us": 9000, "latency_mean_us": 1600.5, "latency_max_us": 12000}\n'
    )

    figures = parse_wrk(output)

    assert figures["rps"] == 1000.0
    assert (figures["p50_ms"], figures["p99_ms"]) == (1.5, 9.0)
    assert figures["bad_status"] == 4
    assert figures["socket_errors"] == 6


def test_wrk_without_a_result_line_is_an_error():
    with pytest.raises(RuntimeError, match="no result line"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_profile_summary_counts_self_and_total_time_per_frame():
    raw = (
        "process 12:gunicorn;thread (0x1);handle (gunicorn/workers/gthread.py:10);get (django/core/cache.py:5) 30\n"
        "process 12:gunicorn;thread (0x1);handle (gunicorn/workers/gthread.py:10);render (rest_framework/r.py:9) 10\n"
    )

    summary = summarise(raw)

    assert summary["samples"] == 40
    assert summary["self"][0] == ("get (django/core/cache.py)", 30)
    assert summary["total"][0] == ("handle (gunicorn/workers/gthread.py)", 40)
    assert "| 75.0 | `get (django/core/cache.py)` |" in summary_markdown("t", summary, command="py-spy")


@pytest.fixture(scope="module")
def bench_output(tmp_path_factory) -> Path:
    missing = [tool for tool in ("wrk", "nginx") if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists())]
    if missing:
        service_missing(f"the bench needs {', '.join(missing)} (make system-packages)")
    if reason := postgres_server_available(postgres_test_url()):
        service_missing(reason)
    try:
        redis.Redis.from_url(redis_test_url(), socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        service_missing(f"no Redis at {redis_test_url()}: {exc}")
    settings = {
        "BENCH_DURATION": "1",
        "BENCH_WARMUP": "0",
        "BENCH_REPEATS": "2",
        "BENCH_ROWS": "2000",
        "BENCH_CONNECTIONS": "4",
        "BENCH_LOAD_SAMPLE": "0.1",
        "BENCH_POSTGRES_URL": postgres_test_url(),
        "BENCH_REDIS_URL": redis_test_url(),
    }
    return bench_module_run("bench", settings, output=tmp_path_factory.mktemp("bench-results"), timeout=BENCH_TIMEOUT)


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_every_scenario_is_measured_or_said_to_be_unavailable(bench_output):
    results = json.loads((bench_output / "latest.json").read_text())

    rows = results["scenarios"]
    assert {row["scenario"] for row in rows} == {scenario.name for scenario in SCENARIOS}
    for row in rows:
        if "skipped" in row:
            assert row["skipped"].startswith("not available") or "token" in row["skipped"]
            continue
        for who in ("facepass", "peer", "floor"):
            if who in row:
                run = row[who]
                assert run["requests"] > 0, (row["scenario"], who)
                assert run["bad_status"] == 0, (row["scenario"], who)
                assert run["socket_errors"] == 0, (row["scenario"], who)
                assert run["p50_ms"] <= run["p99_ms"]
    measured = {row["scenario"] for row in rows if "facepass" in row}
    assert {"validate-hot", "validate-cold", "details", "batch-validate"} <= measured
    hot = next(row for row in rows if row["scenario"] == "validate-hot")
    assert hot["facepass"]["cpu_ms_per_request"] > 0
    assert hot["facepass"]["workers"] == 2
    assert all(sample["rss"] > 0 for sample in hot["facepass"]["memory_kib"])


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_the_table_is_well_formed_markdown(bench_output):
    text = (bench_output / "latest.md").read_text()

    tables = markdown_tables(text)
    side_by_side = tables[0]
    assert side_by_side[0] == SUMMARY_COLUMNS
    assert all(len(row) == len(SUMMARY_COLUMNS) for row in side_by_side)
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table[0]
        assert set("".join(table[1])) <= set("-: ")
    assert "share these" in text
    assert "Machine:" in text


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_the_database_floor_and_a_profile_are_reported(bench_output):
    results = json.loads((bench_output / "latest.json").read_text())

    if pgbench_path():
        assert results["database_floor"][0]["requests"] > 0
    profiles = {profile["scenario"] for profile in results["profiles"]}
    assert "validate-hot" in profiles
    assert "## Top frames by self time" in (bench_output / "profile-validate-hot.md").read_text()
