"""What the bench's smoke tests share: running a bench module as `make bench` does, and reading its tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from testing.services import REPO_ROOT


def bench_module_run(module: str, settings: dict[str, str], *, output: Path, timeout: float) -> Path:
    """`python -m <module>` with these BENCH_* settings and nothing of the caller's; fails with its output."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "BENCH_"))}
    env.update({**settings, "BENCH_OUTPUT": str(output)})
    result = subprocess.run(
        [sys.executable, "-m", module], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{module} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return output


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in the text, as rows of cells."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables
