"""Load generators: wrk (HTTP) and pgbench (the database floor), each with an uncounted warm-up."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from bench.processes import BENCH_DIR

WRK_SCRIPT = BENCH_DIR / "wrk" / "bench.lua"
RESULT_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Load:
    """What wrk sends: a method, a path template with {id}, and a file of ids (GET) or JSON bodies (POST)."""

    method: str
    path: str
    lines_file: Path
    header: str = ""


def wrk_command(url: str, load: Load, *, connections: int, duration: float, timeout: float = 10.0) -> list[str]:
    threads = max(1, min(connections, 2))
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(WRK_SCRIPT),
        url,
        "--",
        load.path,
        str(load.lines_file),
        load.method,
        load.header,
    ]


def parse_wrk(output: str) -> dict[str, float]:
    """The figures from the JSON line our done() hook prints, in requests/s, ms and counts."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARKER):
            raw = json.loads(line[len(RESULT_MARKER) :])
            break
    else:
        raise RuntimeError(f"wrk printed no result line:\n{output}")
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["latency_p50_us"] / 1000,
        "p90_ms": raw["latency_p90_us"] / 1000,
        "p99_ms": raw["latency_p99_us"] / 1000,
        "mean_ms": round(raw["latency_mean_us"] / 1000, 3),
        "max_ms": raw["latency_max_us"] / 1000,
        "bad_status": raw["errors_status"],
        "socket_errors": raw["errors_connect"] + raw["errors_read"] + raw["errors_write"] + raw["errors_timeout"],
    }


def wrk_run(
    url: str,
    load: Load,
    *,
    connections: int,
    duration: float,
    during: Callable[[], None] | None = None,
) -> dict[str, float]:
    """Run wrk for `duration` seconds; `during` is called once, halfway through (to sample memory)."""
    process = subprocess.Popen(
        wrk_command(url, load, connections=connections, duration=duration),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if during is not None:
        timer = threading.Timer(duration / 2, during)
        timer.start()
    output, _ = process.communicate(timeout=duration + 60)
    if during is not None:
        timer.join()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    return parse_wrk(output)


def pgbench_path() -> str | None:
    """pgbench from PATH, else from a PostgreSQL install directory (Debian puts it there)."""
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def pgbench_run(
    pgbench: str, url: str, script: Path, *, clients: int, duration: float, log_dir: Path
) -> dict[str, float]:
    """pgbench with per-transaction logs, for the same figures wrk gives (requests/s, p50, p99, failures)."""
    for old in log_dir.glob("pgbench_log*"):
        old.unlink()
    threads = max(1, min(clients, 2))
    command = [
        pgbench,
        "--no-vacuum",
        f"--client={clients}",
        f"--jobs={threads}",
        f"--time={max(1, round(duration))}",
        f"--file={script}",
        "--log",
        f"--log-prefix={log_dir / 'pgbench_log'}",
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    latencies = []
    for log in log_dir.glob("pgbench_log*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
    latencies.sort()
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    return {
        "requests": len(latencies),
        "seconds": round(duration, 3),
        "rps": round(float(tps.group(1)), 1) if tps else round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p90_ms": round(percentile(latencies, 0.90), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "mean_ms": round(sum(latencies) / len(latencies), 3) if latencies else 0.0,
        "max_ms": latencies[-1] if latencies else 0.0,
        "bad_status": int(failed.group(1)) if failed else 0,
        "socket_errors": 0,
    }
