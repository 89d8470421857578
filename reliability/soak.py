"""`make soak`: a fixed-rate mixed load on nginx + the app server while faults are injected in turn; writes a report.

Everything it breaks is its own (reliability/stack.py): two PostgreSQL clusters (Pixora's and FacePass's), a
redis-server and the stand-in Pixora API, each on a free port of 127.0.0.1. Nothing else on the machine is
touched. The load is reliability/load.py, the faults reliability/faults.py, the report reliability/report.py.
Settings (environment):

    SOAK_RATE=20            requests per second, fixed
    SOAK_GAP_SECONDS=20     quiet load between two faults (recovery is measured there)
    SOAK_WARMUP_SECONDS=15  load before the first fault
    SOAK_TAIL_SECONDS=25    more load after the last fault's gap
    SOAK_SCHEMATHESIS_EXAMPLES=200   examples per operation for the longer schemathesis run (0: skip it)
    SOAK_REPORT=reliability/results/latest.md
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from reliability.faults import Fault, faults_for
from reliability.load import Load
from reliability.report import report, uploads_check
from reliability.stack import soak_stack, soak_stack_missing, uploads_found
from testing.services import REPO_ROOT

RATE = float(os.environ.get("SOAK_RATE", "20"))
GAP_SECONDS = float(os.environ.get("SOAK_GAP_SECONDS", "20"))
WARMUP_SECONDS = float(os.environ.get("SOAK_WARMUP_SECONDS", "15"))
# After the last fault: with the gap, longer than the proxy breaker's reset (30 s), so its recovery is seen whole.
TAIL_SECONDS = float(os.environ.get("SOAK_TAIL_SECONDS", "25"))
SCHEMATHESIS_EXAMPLES = int(os.environ.get("SOAK_SCHEMATHESIS_EXAMPLES", "200"))
REPORT_PATH = Path(os.environ.get("SOAK_REPORT", REPO_ROOT / "reliability" / "results" / "latest.md"))
# The longest fault (the upstream's hang and refusal) plus its start and stop.
LONGEST_FAULT_SECONDS = 35


def log(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} soak: {message}", flush=True)


def schemathesis_run(examples: int) -> tuple[str, bool]:
    """tests/test_schemathesis.py with more examples; its summary and whether it passed."""
    if examples <= 0:
        return "skipped (SOAK_SCHEMATHESIS_EXAMPLES=0)", True
    log(f"schemathesis: {examples} examples per operation and mode")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_schemathesis.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "SCHEMATHESIS_MAX_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
    outcome = "passed" if result.returncode == 0 else "FAILED"
    (REPORT_PATH.parent / "schemathesis-latest.log.tmp").write_text(result.stdout + result.stderr)
    seconds = time.monotonic() - started
    return f"{outcome}: `{summary}` ({examples} examples per operation and mode, {seconds:.0f} s)", outcome == "passed"


def main() -> int:
    if reason := soak_stack_missing():
        print(f"soak: cannot run: {reason}", file=sys.stderr)
        return 2
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="facepass-soak-"))
    faults: list[Fault] = []
    try:
        with soak_stack(workdir, log) as stack:
            load = Load(stack, rate=RATE, max_seconds=0)
            planned = faults_for(stack, load)
            load.max_seconds = WARMUP_SECONDS + len(planned) * (GAP_SECONDS + LONGEST_FAULT_SECONDS) + TAIL_SECONDS
            log(f"load at {RATE:g}/s on {stack.base_url}; warm-up {WARMUP_SECONDS:g} s")
            load.start()
            time.sleep(WARMUP_SECONDS)
            for fault, inject in planned:
                log(f"fault: {fault.description}")
                fault.started = load.now()
                inject(fault)
                fault.ended = load.now()
                log(f"{fault.name}: {fault.hit}")
                faults.append(fault)
                time.sleep(GAP_SECONDS)
            time.sleep(TAIL_SECONDS)
            finished = load.now()
            load.stop()
            accepted = {r.accepted_id for r in load.results if r.accepted_id}
            uploads = uploads_check(accepted, uploads_found(stack, sorted(accepted)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    schemathesis, schemathesis_ok = schemathesis_run(SCHEMATHESIS_EXAMPLES)
    text, met = report(
        load.results,
        faults,
        uploads,
        finished=finished,
        rate=RATE,
        gap=GAP_SECONDS,
        schemathesis=schemathesis,
        schemathesis_ok=schemathesis_ok,
    )
    REPORT_PATH.write_text(text)
    log(f"report written to {REPORT_PATH}; targets {'met' if met else 'NOT met'}")
    print(text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
