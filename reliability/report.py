"""The soak's report (reliability/results/latest.md) and its targets, from the results alone: no servers here."""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PIL import Image, UnidentifiedImageError

from reliability.faults import Fault
from reliability.load import MIX, Result

# The answers the API documents for a dependency that is down or slow.
DOCUMENTED_5XX = {503, 504}
LOST = "lost (nginx 502)"
COLUMNS_SHOWN = ["2xx", "4xx", "429", "503", "504", LOST, "other 5xx", "no answer"]


def status_column(result: Result) -> str:
    """Where an answer is counted; nginx's 503 for a request the app server never answered is not the app's 503."""
    if result.status is None:
        return "no answer"
    if result.lost:
        return LOST
    if result.status in (429, 503, 504):
        return str(result.status)
    if result.status >= 500:
        return "other 5xx"
    return f"{result.status // 100}xx"


def unexpected_5xx(results: Iterable[Result]) -> list[Result]:
    """Answers from FacePass itself with a 5xx it does not document."""
    return [
        r for r in results if not r.lost and r.status is not None and r.status >= 500 and r.status not in DOCUMENTED_5XX
    ]


def lost_unexplained(results: Iterable[Result], faults: Iterable[Fault]) -> list[Result]:
    """Lost requests that were not in flight when a worker was killed: nothing the soak did explains them."""
    kills = [moment for fault in faults for moment in fault.kills]
    return [r for r in results if r.lost and not any(r.in_flight_at(moment) for moment in kills)]


@dataclass
class FaultCheck:
    fault: Fault
    during: int
    needed_during: int
    lost: int
    unexplained: int
    probes: int = 0
    probes_lost: int = 0

    @property
    def problems(self) -> list[str]:
        problems = []
        if self.during == 0:
            problems.append("no request in flight during it")
        if self.fault.needs and self.needed_during == 0:
            problems.append(f"no {self.fault.needs} request in flight during it")
        if self.fault.hit_count <= 0:
            problems.append("it hit nothing")
        if self.fault.probe and self.probes == 0:
            problems.append(f"no {self.fault.probe} request answered")
        if self.probes_lost < self.probes:
            problems.append(f"{self.probes - self.probes_lost} of {self.probes} {self.fault.probe} not counted as lost")
        if self.unexplained:
            problems.append(f"{self.unexplained} lost requests not in flight at a kill")
        return problems


def fault_checks(results: list[Result], faults: list[Fault], finished: float) -> list[FaultCheck]:
    """Each fault's window: requests in flight at any moment of it; the lost ones and its own requests (probes)
    answered until the next fault."""
    checks = []
    unexplained = set(map(id, lost_unexplained(results, faults)))
    for index, fault in enumerate(faults):
        until = faults[index + 1].started if index + 1 < len(faults) else finished
        during = [r for r in results if r.overlaps(fault.started, fault.ended)]
        span = [r for r in results if fault.started <= r.finished < until]
        lost = [r for r in span if r.lost]
        probes = [r for r in span if fault.probe and r.kind == fault.probe]
        checks.append(
            FaultCheck(
                fault=fault,
                during=len(during),
                needed_during=sum(1 for r in during if r.kind == fault.needs),
                lost=len(lost),
                unexplained=sum(1 for r in lost if id(r) in unexplained),
                probes=len(probes),
                probes_lost=sum(1 for r in probes if r.lost),
            )
        )
    return checks


def image_readable(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return False
    return True


@dataclass
class UploadCheck:
    """What became of the uploads answered 202."""

    accepted: int = 0
    readable: int = 0
    processed: int = 0
    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    selfie_gone: list[str] = field(default_factory=list)

    @property
    def lost(self) -> list[str]:
        return self.missing + self.unreadable + self.selfie_gone


def uploads_check(accepted: set[str], rows: Iterable[tuple[str, str, bool, bytes | None]]) -> UploadCheck:
    """Each accepted upload must be in the database with its selfie decoding as an image, or marked as used
    (its selfie deleted by the search worker after the search ran)."""
    check = UploadCheck(accepted=len(accepted))
    found = {row[0]: row for row in rows if row[0] in accepted}
    for accepted_id in sorted(accepted):
        if accepted_id not in found:
            check.missing.append(accepted_id)
            continue
        _, _, selfie_deleted, data = found[accepted_id]
        if data is not None:
            if image_readable(data):
                check.readable += 1
            else:
                check.unreadable.append(accepted_id)
        elif selfie_deleted:
            check.processed += 1
        else:
            check.selfie_gone.append(accepted_id)
    return check


def windows(faults: list[Fault], finished: float) -> list[tuple[str, float, float]]:
    spans = [("before the faults", 0.0, faults[0].started)]
    for index, fault in enumerate(faults):
        following = faults[index + 1].started if index + 1 < len(faults) else finished
        spans.append((f"**{fault.name}** (during)", fault.started, fault.ended))
        label = "after the last fault" if index + 1 == len(faults) else f"after {fault.name}"
        spans.append((label, fault.ended, following))
    return spans


def recovery_seconds(results: list[Result], fault: Fault, until: float) -> tuple[float, int]:
    """Seconds from the fault's end until the last failed request of its span ended, and how many failed."""
    failed = [r for r in results if fault.started <= r.finished < until and r.failed]
    if not failed:
        return 0.0, 0
    return max(0.0, max(r.finished for r in failed) - fault.ended), len(failed)


def _table_row(label: str, results: Iterable[Result], *extra: str) -> str:
    counts = Counter(status_column(r) for r in results)
    cells = " | ".join(str(counts.get(column, 0)) for column in COLUMNS_SHOWN)
    return f"| {label} | {' | '.join(extra) + ' | ' if extra else ''}{sum(counts.values())} | {cells} |"


def report(
    results: list[Result],
    faults: list[Fault],
    uploads: UploadCheck,
    *,
    finished: float,
    rate: float,
    gap: float,
    schemathesis: str,
    schemathesis_ok: bool,
) -> tuple[str, bool]:
    """The Markdown report, and whether every target was met."""
    results = sorted(results, key=lambda r: r.started)
    other_5xx = unexpected_5xx(results)
    lost = [r for r in results if r.lost]
    unexplained = lost_unexplained(results, faults)
    checks = fault_checks(results, faults, finished)
    failed_checks = [check for check in checks if check.problems]
    met = not other_5xx and not unexplained and not uploads.lost and not failed_checks and schemathesis_ok
    lines = [
        "# Soak: mixed load with faults injected",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f} at the end). `make soak`; "
        f"SOAK_RATE={rate:g}/s, SOAK_GAP_SECONDS={gap:g}, {finished:.0f} s of load, {len(results)} requests.",
        "",
        "Stack: nginx (deploy/nginx/facepass.conf) → granian (project_config/server.py, 2 workers × 8 threads) → "
        "FacePass with the production settings (testing/production.py), FacePass's and Pixora's PostgreSQL as two "
        "clusters of our own, our own Redis, the stand-in Pixora API (testing/upstream.py); no Celery worker, so "
        "every accepted selfie stays in the database. Mix: "
        + ", ".join(f"{kind} {share:.0%}" for kind, share in MIX.items())
        + ".",
        "",
        "## Targets",
        "",
        "| target | result |",
        "| --- | --- |",
        f"| 5xx from FacePass other than the documented 503/504 | **{len(other_5xx)}** (target 0) |",
        f"| requests lost (nginx's 502 for the app server, sent on as a 503 marked `X-FacePass-Upstream-Error`, or no "
        f"HTTP answer) that were not in flight when a worker was SIGKILLed | **{len(unexplained)}** (target 0; "
        f"{len(lost) - len(unexplained)} more were in flight at a kill) |",
        f"| face-search uploads answered 202 and not in the database with a selfie that decodes as an image "
        f"(nor used by a search) | **{len(uploads.lost)}** of {uploads.accepted} (target 0; missing "
        f"{len(uploads.missing)}, unreadable {len(uploads.unreadable)}, selfie gone unused "
        f"{len(uploads.selfie_gone)}; readable {uploads.readable}, used {uploads.processed}) |",
        f"| fault windows with no request in flight, or a fault that hit nothing | **{len(failed_checks)}** of "
        f"{len(checks)} (target 0) |",
        f"| schemathesis, longer run | {schemathesis} |",
        "",
        "## Fault windows",
        "",
        "During: requests in flight at any moment of the fault. Failed and lost: answered from the fault's start "
        "until the next fault's (its recovery included); lost requests are in the failed ones. Recovery: from the "
        "end of the fault until the last failed answer of that span.",
        "",
        "| fault | what was done | lasted | what it hit | requests during | failed | lost | recovery "
        "| failed by kind | check |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for index, check in enumerate(checks):
        fault = check.fault
        until = faults[index + 1].started if index + 1 < len(faults) else finished
        seconds, failed = recovery_seconds(results, fault, until)
        kinds = Counter(
            f"{r.kind} {status_column(r)}" for r in results if fault.started <= r.finished < until and r.failed
        )
        by_kind = ", ".join(f"{name}: {count}" for name, count in kinds.most_common()) or "none"
        during = f"{check.during}" + (f" ({check.needed_during} {fault.needs})" if fault.needs else "")
        verdict = "FAILED: " + "; ".join(check.problems) if check.problems else "passed"
        lines.append(
            f"| {fault.name} | {fault.description} | {fault.ended - fault.started:.1f} s | {fault.hit} | {during} | "
            f"{failed} | {check.lost} | {seconds:.1f} s | {by_kind} | {verdict} |"
        )
    lines += [
        "",
        "## Requests by status, per window",
        "",
        "Counted in the window in which they were answered.",
        "",
        "| window | seconds | requests | " + " | ".join(COLUMNS_SHOWN) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in COLUMNS_SHOWN) + " |",
    ]
    for label, start, end in windows(faults, finished):
        lines.append(_table_row(label, (r for r in results if start <= r.finished < end), f"{end - start:.1f}"))
    lines += [
        "",
        "## Requests by kind, whole run",
        "",
        "| kind | requests | " + " | ".join(COLUMNS_SHOWN) + " |",
        "| --- | --- | " + " | ".join("---" for _ in COLUMNS_SHOWN) + " |",
    ]
    for kind in [*MIX, *sorted({r.kind for r in results} - set(MIX))]:
        lines.append(_table_row(kind, (r for r in results if r.kind == kind)))
    latencies = sorted(r.finished - r.started for r in results if r.status is not None and r.status < 500)
    if latencies:
        lines += [
            "",
            f"Successful answers: median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms (all windows, client side).",
        ]
    if other_5xx or lost:
        unexplained_ids = set(map(id, unexplained))
        lines += ["", "## Unexpected and lost answers", ""]
        for r in (other_5xx + lost)[:40]:
            explained = " (not in flight at a kill)" if id(r) in unexplained_ids else ""
            lines.append(f"- t={r.started:.2f}–{r.finished:.2f} s {r.kind}: {status_column(r)}{explained} {r.error!r}")
    if uploads.lost:
        lines += ["", "## Lost uploads", ""]
        lines += [f"- {upload_id} (missing)" for upload_id in uploads.missing[:30]]
        lines += [f"- {upload_id} (selfie does not decode)" for upload_id in uploads.unreadable[:30]]
        lines += [f"- {upload_id} (selfie gone, never used)" for upload_id in uploads.selfie_gone[:30]]
    lines.append("")
    return "\n".join(lines), met
