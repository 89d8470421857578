"""One measured run: wrk (or pgbench) against a server, with its CPU time and memory read from /proc around it;
and py-spy's profile of a server under the same load."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import Load, pgbench_path, pgbench_run, wrk_run
from bench.processes import Server, cpu_seconds, machine_busy, memory_kib
from bench.profiling import folded, py_spy_path, py_spy_record, summarise, summary_markdown
from bench.scenarios import FLOOR_PGBENCH


@dataclass(frozen=True)
class Timing:
    duration: float
    warmup: float
    load_sample: float


def measure(
    server: Server, load: Load, connections: int, timing: Timing, *, warn: Callable[[str], None]
) -> dict[str, Any]:
    """Warm up (not counted), then one measured wrk run, with the server's CPU time and memory around it."""
    result: dict[str, Any] = {"server": server.name, "connections": connections}
    result["load_before"] = machine_busy(timing.load_sample)
    url = server.base_url
    if timing.warmup > 0:
        wrk_run(url, load, connections=connections, duration=timing.warmup)
    pids = server.pids()
    memory: list[dict[str, int]] = []

    def sample_memory() -> None:
        memory.extend(memory_kib(pid) for pid in server.worker_pids())

    cpu_before = cpu_seconds(pids)
    figures = wrk_run(url, load, connections=connections, duration=timing.duration, during=sample_memory)
    cpu_after = cpu_seconds(pids)
    result.update(figures)
    requests = max(int(figures["requests"]), 1)
    result["cpu_ms_per_request"] = round(1000 * (cpu_after - cpu_before) / requests, 3)
    result["cpu_cores_used"] = round((cpu_after - cpu_before) / max(figures["seconds"], 1e-9), 2)
    result["workers"] = len(memory)
    result["memory_kib"] = memory
    if figures["bad_status"] or figures["socket_errors"]:
        warn(
            f"!!! {server.name} {load.path} c={connections}: {figures['bad_status']} unexpected statuses, "
            f"{figures['socket_errors']} socket errors (must be 0)"
        )
    return result


def measure_pgbench(url: str, script: Path, connections: int, timing: Timing, *, log_dir: Path) -> dict[str, Any]:
    """The database floor: pgbench running the same primary-key SELECT as Django."""
    pgbench = pgbench_path()
    if pgbench is None:
        return {"skipped": "pgbench not found (it comes with PostgreSQL's packages)"}
    result: dict[str, Any] = {"server": FLOOR_PGBENCH, "connections": connections}
    result["load_before"] = machine_busy(timing.load_sample)
    log_dir.mkdir(exist_ok=True)
    if timing.warmup > 0:
        pgbench_run(pgbench, url, script, clients=connections, duration=timing.warmup, log_dir=log_dir)
    result.update(pgbench_run(pgbench, url, script, clients=connections, duration=timing.duration, log_dir=log_dir))
    result["cpu_ms_per_request"] = None
    return result


def profile(
    server: Server, load: Load, *, name: str, title: str, seconds: float, connections: int, raw_dir: Path, output: Path
) -> dict[str, Any]:
    """py-spy on the server's processes during an extra (uncounted) run; writes profile-<name>.md and .folded.

    Returns the profile's entry for the results, or {"note": why there is none}.
    """
    if py_spy_path() is None:
        return {"note": "py-spy is not installed: no profiles."}
    raw_path = raw_dir / f"profile-{name}.raw"
    recorder = py_spy_record(server.process.pid, raw_path, seconds=seconds)
    time.sleep(0.5)
    wrk_run(server.base_url, load, connections=connections, duration=seconds)
    printed, _ = recorder.communicate(timeout=seconds + 60)
    if recorder.returncode != 0 or not raw_path.exists():
        return {"note": f"py-spy failed on {name}: {printed.strip()[-300:]}"}
    raw = raw_path.read_text()
    summary = summarise(raw, top=40)
    folded_name = f"profile-{name}.folded"
    (output / folded_name).write_text(folded(raw))
    command = (
        f"py-spy record --pid <server's main process> --subprocesses --nonblocking --gil --format raw -d {seconds:g}"
    )
    (output / f"profile-{name}.md").write_text(summary_markdown(f"{name} ({title})", summary, command=command))
    return {"scenario": name, "samples": summary["samples"], "file": folded_name}


MEDIAN_FIGURES = ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms", "cpu_ms_per_request", "cpu_cores_used")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's repetitions of a run as one: the median of each figure, its spread, errors summed.

    Each repetition is kept under "repetitions"; "spread" holds the lowest and highest req/s and CPU ms/req.
    """
    if not runs:
        raise ValueError("no runs to summarise")
    summary: dict[str, Any] = {key: value for key, value in runs[0].items() if key not in MEDIAN_FIGURES}
    for key in MEDIAN_FIGURES:
        values = [run[key] for run in runs if run.get(key) is not None]
        summary[key] = round(statistics.median(values), 3) if values else None
    for key in ("requests", "bad_status", "socket_errors"):
        summary[key] = sum(int(run[key]) for run in runs)
    summary["workers"] = max(int(run.get("workers", 0)) for run in runs)
    summary["memory_kib"] = [sample for run in runs for sample in run.get("memory_kib", [])]
    summary["load_before"] = max((run["load_before"] for run in runs), key=lambda load: load["busy_percent"])
    summary["spread"] = {
        key: [min(values), max(values)]
        for key in ("rps", "cpu_ms_per_request")
        if (values := [run[key] for run in runs if run.get(key) is not None])
    }
    summary["repetitions"] = runs
    return summary
