"""The report's arithmetic: medians over the rounds, their spread, and the targets read from them."""

from __future__ import annotations

from typing import Any

from bench.measure import median_run
from bench.report import markdown, targets


def run(rps: float, cpu: float, *, p50: float = 1.0, bad: int = 0, busy: float = 1.0) -> dict[str, Any]:
    return {
        "server": "s",
        "connections": 32,
        "requests": int(rps * 10),
        "seconds": 10.0,
        "rps": rps,
        "p50_ms": p50,
        "p90_ms": p50 * 2,
        "p99_ms": p50 * 3,
        "mean_ms": p50,
        "max_ms": p50 * 4,
        "cpu_ms_per_request": cpu,
        "cpu_cores_used": 1.0,
        "bad_status": bad,
        "socket_errors": 0,
        "workers": 2,
        "memory_kib": [{"rss": 1024, "pss": 512}],
        "load_before": {"busy_percent": busy, "load1": 0.5},
    }


def test_median_run_takes_each_figure_s_median_and_keeps_every_round():
    rounds = [run(100, 2.0, busy=3), run(300, 1.0, bad=1), run(200, 3.0)]

    summary = median_run(rounds)

    assert (summary["rps"], summary["cpu_ms_per_request"]) == (200, 2.0)
    assert summary["spread"] == {"rps": [100, 300], "cpu_ms_per_request": [1.0, 3.0]}
    assert summary["bad_status"] == 1
    assert summary["requests"] == 6000
    assert summary["load_before"]["busy_percent"] == 3
    assert summary["repetitions"] == rounds
    assert len(summary["memory_kib"]) == 3


def results_with(facepass: list[dict[str, Any]], peer: list[dict[str, Any]]) -> dict[str, Any]:
    machine = {"cores": 2, "cpu_model": "x", "memory_gib": 1, "kernel": "k"}
    return {
        "run": {
            "run_id": "r",
            "commit": "c",
            "started": "a",
            "finished": "b",
            "duration_s": 1,
            "warmup_s": 0,
            "repeats": len(facepass),
            "rows": 10,
            "connections": [32],
            "machine": machine,
        },
        "scenarios": [
            {
                "scenario": "validate-cold",
                "title": "t",
                "connections": 32,
                "facepass": median_run(facepass),
                "peer": median_run(peer),
            }
        ],
    }


def test_a_target_is_met_by_the_median_ratio_and_shows_each_round_s_spread():
    results = results_with([run(210, 1.0), run(190, 1.0), run(250, 1.0)], [run(100, 2.0)] * 3)

    check = next(c for c in targets(results) if c["target"].startswith("validate, cache off ÷ peer"))

    assert check["measured"] == 2.1
    assert check["spread"] == (1.9, 2.5)
    assert check["met"] is True


def test_the_report_lists_every_round_and_says_how_it_measured():
    results = results_with([run(210, 1.0), run(190, 1.0), run(250, 1.0, bad=2)], [run(100, 2.0)] * 3)

    text = markdown(results)

    assert text.count("| validate-cold | facepass |") == 3
    assert "median of 3 rounds" in text
    assert "without uvicorn's access log" in text
    assert "THROTTLE_RATE_SESSIONS" in text
    assert "| unexpected statuses and socket errors, all runs | 2 | — | = 0 | **no** |" in text
    assert "issue" not in text.lower()
