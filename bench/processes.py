"""The servers the bench measures (started through testing/), and what /proc says about them and the machine."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testing.services import ServerProcess

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces): fields[0] is the state."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def process_tree(root: int) -> list[int]:
    """The pid and every descendant of it, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(_stat_fields(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time these processes (all their threads) have spent; gone ones count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """Resident (RSS) and proportional (PSS: shared pages split among sharers) memory of one process, in KiB."""
    result = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in {"Rss", "Pss"}:
                result[key.lower()] = int(value.split()[0])
    except OSError:
        pass
    return result


def machine_busy(interval: float = 1.0) -> dict[str, float]:
    """How busy the whole machine was over the next `interval` seconds (percent of all cores), and its load."""

    def snapshot() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total_before, idle_before = snapshot()
    time.sleep(interval)
    total_after, idle_after = snapshot()
    total = max(total_after - total_before, 1)
    load1 = float(Path("/proc/loadavg").read_text().split()[0])
    return {"busy_percent": round(100.0 * (1 - (idle_after - idle_before) / total), 1), "load1": load1}


def machine_info() -> dict[str, object]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": os.uname().release,
    }


@dataclass(frozen=True)
class Server:
    """A server under test, started through testing/ (testing/services.py): its root process and its workers."""

    name: str
    running: ServerProcess
    env: Mapping[str, str]

    @property
    def base_url(self) -> str:
        return self.running.url

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.running.process

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the children when there are any (a server with workers), else itself."""
        tree = self.pids()
        workers = [pid for pid in tree[1:] if b"resource_tracker" not in _cmdline(pid)]
        return workers or tree


def nginx_config(template: str, prefix: Path, **values: object) -> Path:
    """An nginx config from bench/nginx/<template> with @NAME@ markers filled, written into its own prefix."""
    text = (BENCH_DIR / "nginx" / template).read_text()
    for key, value in {"PREFIX": prefix, **values}.items():
        text = text.replace(f"@{key}@", str(value))
    prefix.mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path
