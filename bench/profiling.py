"""Where time goes: py-spy samples a server's processes under load; the collapsed stacks summarised as top frames."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TypedDict

# py-spy's raw lines: "frame;frame;...;frame <count>", a frame being "function (file:line)".
FRAME_RE = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


class ProfileSummary(TypedDict):
    """Samples counted, and the top frames with their samples: on top of the stack (self) or anywhere in it."""

    samples: int
    self: list[tuple[str, int]]
    total: list[tuple[str, int]]


def py_spy_path() -> str | None:
    beside_python = Path(sys.executable).parent / "py-spy"
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def py_spy_record(pid: int, output: Path, *, seconds: float, rate: int = 250) -> subprocess.Popen[str]:
    """Start sampling `pid` and its children (the server's workers) for `seconds`; the caller waits on it."""
    py_spy = py_spy_path()
    if py_spy is None:
        raise RuntimeError("py-spy is not installed (bench/requirements.txt)")
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--gil",
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--duration",
            str(max(1, round(seconds))),
            "--output",
            str(output),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def short_frame(frame: str) -> str:
    """'get (django/core/cache/backends/redis.py:123)' -> 'get (django/core/cache/backends/redis.py)'."""
    match = FRAME_RE.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3", "/work/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    path = re.sub(r"^wt/[^/]+/|^main/", "", path)
    return f"{match['function']} ({path})"


def folded(raw: str) -> str:
    """py-spy's raw stacks with short frames (no line numbers, no process or thread), merged: small enough to keep."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            frames = [short_frame(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
            counts[";".join(frames)] += int(count_text)
    return "".join(f"{stack} {count}\n" for stack, count in counts.most_common())


def summarise(raw: str, *, top: int = 25) -> ProfileSummary:
    """Samples per frame: self (the frame on top of the stack) and total (anywhere in it, counted once)."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # py-spy --subprocesses prefixes each stack with "process <pid>:..." and "thread ..." pseudo frames.
        frames = [short_frame(f) for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            total_counts[frame] += count
    return {
        "samples": samples,
        "self": [(frame, count) for frame, count in self_counts.most_common(top)],
        "total": [(frame, count) for frame, count in total_counts.most_common(top)],
    }


def summary_markdown(title: str, summary: ProfileSummary, *, command: str) -> str:
    samples = summary["samples"] or 1
    lines = [
        f"# Profile: {title}",
        "",
        f"{summary['samples']} samples of the server's threads while they held the GIL: where its CPU time goes.",
        f"Taken with: `{command}`",
        "",
        "## Top frames by total time (the frame anywhere on the stack)",
        "",
        "| % of samples | frame |",
        "| ---: | --- |",
    ]
    lines += [f"| {100 * count / samples:.1f} | `{frame}` |" for frame, count in summary["total"]]
    lines += ["", "## Top frames by self time (the frame running)", "", "| % of samples | frame |", "| ---: | --- |"]
    lines += [f"| {100 * count / samples:.1f} | `{frame}` |" for frame, count in summary["self"]]
    return "\n".join(lines) + "\n"
