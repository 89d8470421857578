"""The bench's results as Markdown tables (bench/results/latest.md), with the fast path's targets checked."""

from __future__ import annotations

from typing import Any

SUMMARY_COLUMNS = [
    "scenario",
    "conns",
    "FacePass req/s",
    "p50 ms",
    "p99 ms",
    "CPU ms/req",
    "bad status / socket errors",
    "peer req/s",
    "peer p50 ms",
    "peer CPU ms/req",
    "floor",
    "floor req/s",
    "floor p50 ms",
    "÷ peer",
    "÷ floor",
    "÷ peer, CPU",
    "÷ floor, CPU",
    "load before (busy %, load1)",
]


def fmt(value: Any, digits: int = 2) -> str:
    """A figure for a table cell: thousands separated, `digits` decimals below 100, "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(numerator: dict[str, Any] | None, denominator: dict[str, Any] | None) -> float | None:
    if not numerator or not denominator or not denominator.get("rps"):
        return None
    ratio: float = numerator["rps"] / denominator["rps"]
    return round(ratio, 2)


def _cpu_ratio(facepass: dict[str, Any] | None, other: dict[str, Any] | None) -> float | None:
    """How many times less CPU per request FacePass spent than the other (above 1: FacePass is leaner)."""
    if not facepass or not other or not facepass.get("cpu_ms_per_request") or not other.get("cpu_ms_per_request"):
        return None
    ratio: float = other["cpu_ms_per_request"] / facepass["cpu_ms_per_request"]
    return round(ratio, 2)


def _repetitions(run: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not run:
        return []
    repetitions: list[dict[str, Any]] = run.get("repetitions") or [run]
    return repetitions


def _ratio_spread(
    numerator: dict[str, Any] | None, denominator: dict[str, Any] | None, *, by_cpu: bool = False
) -> tuple[float, float] | None:
    """The lowest and highest ratio over the rounds, each FacePass run paired with the other's of the same round."""
    ratio = _cpu_ratio if by_cpu else _ratio
    pairs = zip(_repetitions(numerator), _repetitions(denominator), strict=False)
    values = [value for a, b in pairs if (value := ratio(a, b)) is not None]
    return (min(values), max(values)) if values else None


def _spread(values: tuple[float, float] | list[float] | None) -> str:
    return "—" if not values else f"{fmt(values[0])}–{fmt(values[1])}"


def _with_spread(median: float | None, spread: tuple[float, float] | list[float] | None) -> str:
    if median is None:
        return "—"
    return fmt(median) if not spread or spread[0] == spread[1] else f"{fmt(median)} ({_spread(spread)})"


def _errors(run: dict[str, Any] | None) -> str:
    if not run:
        return "—"
    text = f"{run['bad_status']} / {run['socket_errors']}"
    return f"**{text} ⚠**" if run["bad_status"] or run["socket_errors"] else text


def _load(run: dict[str, Any] | None) -> str:
    if not run or "load_before" not in run:
        return "—"
    return f"{run['load_before']['busy_percent']:.0f} %, {run['load_before']['load1']:.2f}"


def reference_runs(results: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(row["scenario"], row["connections"]): row for row in results["scenarios"] if "facepass" in row}


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    by_key = reference_runs(results)
    rows = []
    for row in results["scenarios"]:
        if "skipped" in row:
            rows.append([row["scenario"], "—", f"*{row['skipped']}*", *["—"] * (len(SUMMARY_COLUMNS) - 3)])
            continue
        facepass, peer, floor = row["facepass"], row.get("peer"), row.get("floor")
        floor_name = floor["floor"] + (f" ({floor['body']})" if floor and floor.get("body") else "") if floor else "—"
        compare_with = row.get("compare_with")
        if compare_with and (compare_with, row["connections"]) in by_key:
            floor = by_key[(compare_with, row["connections"])]["facepass"]
            floor_name = compare_with
        rows.append(
            [
                row["scenario"],
                str(row["connections"]),
                _with_spread(facepass["rps"], facepass.get("spread", {}).get("rps")),
                fmt(facepass["p50_ms"]),
                fmt(facepass["p99_ms"]),
                _with_spread(facepass["cpu_ms_per_request"], facepass.get("spread", {}).get("cpu_ms_per_request")),
                _errors(facepass),
                fmt(peer["rps"]) if peer else "—",
                fmt(peer["p50_ms"]) if peer else "—",
                fmt(peer["cpu_ms_per_request"]) if peer else "—",
                floor_name,
                fmt(floor["rps"]) if floor else "—",
                fmt(floor["p50_ms"]) if floor else "—",
                _with_spread(_ratio(facepass, peer), _ratio_spread(facepass, peer)),
                _with_spread(_ratio(facepass, floor), _ratio_spread(facepass, floor)),
                _with_spread(_cpu_ratio(facepass, peer), _ratio_spread(facepass, peer, by_cpu=True)),
                _with_spread(_cpu_ratio(facepass, floor), _ratio_spread(facepass, floor, by_cpu=True)),
                _load(facepass),
            ]
        )
    return rows


TARGET_COLUMNS = ["target", "measured (median)", "spread over the rounds", "goal", "met"]


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The fast path's targets, each with its median, its spread over the rounds and whether it was met."""
    by_key = reference_runs(results)
    high = max(results["run"]["connections"])
    checks = []

    def add(name: str, measured: float | None, spread: tuple[float, float] | None, goal: str, met: bool | None) -> None:
        checks.append({"target": name, "measured": measured, "spread": spread, "goal": goal, "met": met})

    def run_of(scenario: str, connections: int, who: str) -> dict[str, Any] | None:
        row = by_key.get((scenario, connections))
        return row.get(who) if row else None

    def add_ratio(
        name: str, scenario: str, who: str, minimum: float, *, reference: str | None = None, by_cpu: bool = False
    ) -> None:
        facepass = run_of(scenario, high, "facepass")
        other = run_of(reference, high, "facepass") if reference else run_of(scenario, high, who)
        ratio = _cpu_ratio(facepass, other) if by_cpu else _ratio(facepass, other)
        met = None if ratio is None else ratio >= minimum
        measure = "CPU per request" if by_cpu else "req/s"
        spread = _ratio_spread(facepass, other, by_cpu=by_cpu)
        add(f"{name}, by {measure} (c={high})", ratio, spread, f"≥ {minimum:g}", met)

    add_ratio("validate, cached ÷ peer", "validate-hot", "peer", 4)
    add_ratio("validate, cached ÷ peer", "validate-hot", "peer", 4, by_cpu=True)
    add_ratio("validate, cached ÷ bare Django view", "validate-hot", "floor", 0.7)
    add_ratio("validate, cached ÷ bare Django view", "validate-hot", "floor", 0.7, by_cpu=True)
    add_ratio("validate, cache off ÷ peer", "validate-cold", "peer", 2)
    add_ratio("details, cache off ÷ peer", "details", "peer", 2)
    add_ratio("proxy, cache off ÷ peer", "proxy-cache-off", "peer", 20)
    proxy_one, nginx_one = run_of("proxy-cache-off", 1, "facepass"), run_of("proxy-cache-off", 1, "floor")
    gap = round(proxy_one["p50_ms"] - nginx_one["p50_ms"], 3) if proxy_one and nginx_one else None
    gaps = [
        round(a["p50_ms"] - b["p50_ms"], 3)
        for a, b in zip(_repetitions(proxy_one), _repetitions(nginx_one), strict=False)
    ]
    add(
        "proxy, cache off: p50 − nginx proxy_pass p50 (c=1, ms)",
        gap,
        (min(gaps), max(gaps)) if gaps else None,
        "≤ 2",
        None if gap is None else gap <= 2,
    )
    add_ratio("gateway, SSO cached ÷ local validation", "logs-sso-cached", "facepass", 0.8, reference="logs-local")
    errors = error_count(results)
    add("unexpected statuses and socket errors, all runs", errors, None, "= 0", errors == 0)
    return checks


def all_runs(results: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every measured run, each round of each server apart, in the order they ran."""
    runs: list[tuple[str, str, dict[str, Any]]] = []
    for row in results["scenarios"]:
        rounds = {who: _repetitions(row.get(who)) for who in ("facepass", "peer", "floor")}
        for index in range(max(len(measured) for measured in rounds.values())):
            for who, measured in rounds.items():
                if index >= len(measured):
                    continue
                run = measured[index]
                name = row["scenario"]
                if who == "floor":
                    name += f" (floor: {' '.join(filter(None, (run['floor'], run.get('body'))))})"
                runs.append((name, who, run))
    runs += [("database floor", "floor", run) for run in results.get("database_floor", []) if "skipped" not in run]
    return runs


def error_count(results: dict[str, Any]) -> int:
    return sum(int(run["bad_status"]) + int(run["socket_errors"]) for _, _, run in all_runs(results))


def memory_rows(results: dict[str, Any]) -> list[list[str]]:
    """Largest resident (RSS) and proportional (PSS) memory of one worker, by server, sampled mid-run."""
    worst: dict[str, dict[str, int]] = {}
    for _, _, run in all_runs(results):
        for sample in run.get("memory_kib", []):
            entry = worst.setdefault(run["server"], {"rss": 0, "pss": 0, "workers": 0})
            entry["rss"] = max(entry["rss"], sample.get("rss", 0))
            entry["pss"] = max(entry["pss"], sample.get("pss", 0))
            entry["workers"] = max(entry["workers"], run.get("workers", 0))
    return [
        [server, str(entry["workers"]), f"{entry['rss'] / 1024:.0f}", f"{entry['pss'] / 1024:.0f}"]
        for server, entry in sorted(worst.items())
    ]


def table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


SERVER_NAMES = {
    "granian": "granian (`python -m project_config.server`, FacePass's own)",
    "gunicorn": "gunicorn gthread (`BENCH_SERVER=gunicorn`)",
}


def markdown(results: dict[str, Any]) -> str:
    run = results["run"]
    machine = run["machine"]
    lines = [
        "# FacePass benchmark",
        "",
        f"Run `{run['run_id']}` at commit `{run['commit']}`, {run['started']} → {run['finished']} (UTC). "
        f"Each figure is the median of {run.get('repeats', 1)} rounds, FacePass, the peer and the floor measured in "
        f"turn in each round, every run {run['duration_s']:g} s of wrk after an uncounted {run['warmup_s']:g} s "
        f"warm-up, on {run['rows']:,} generated `photo_sessions` rows; the spread (lowest–highest over the rounds) "
        "is in brackets.",
        f"The peer runs without uvicorn's access log. The sessions throttle stays on, raised for the bench "
        f"(`THROTTLE_RATE_SESSIONS={run.get('throttle_rate_sessions', '100000000/min')}`) so that it never answers.",
        f"FacePass and the Django floor run under {SERVER_NAMES.get(run.get('server', 'granian'), run.get('server'))}.",
        f"Machine: {machine['cores']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}.",
        "",
        "## Side by side",
        "",
        *table(SUMMARY_COLUMNS, summary_rows(results)),
        "",
        "## Targets",
        "",
        *table(
            TARGET_COLUMNS,
            [
                [
                    c["target"],
                    fmt(c["measured"]),
                    _spread(c["spread"]),
                    c["goal"],
                    {True: "yes", False: "**no**", None: "—"}[c["met"]],
                ]
                for c in targets(results)
            ],
        ),
        "",
        "## Database floor: pgbench, the same primary-key SELECT with random ids",
        "",
    ]
    database_rows = [
        [
            str(r["connections"]),
            fmt(r["rps"]),
            fmt(r["p50_ms"]),
            fmt(r["p99_ms"]),
            _errors(r),
            _load(r),
        ]
        for r in results.get("database_floor", [])
        if "skipped" not in r
    ]
    skipped = [r["skipped"] for r in results.get("database_floor", []) if "skipped" in r]
    if database_rows:
        lines += table(
            ["clients", "queries/s", "p50 ms", "p99 ms", "failed", "load before (busy %, load1)"], database_rows
        )
    else:
        lines.append(f"*{skipped[0] if skipped else 'not run'}*")
    lines += [
        "",
        "## Memory per worker under load (largest sample, taken halfway through each run)",
        "",
        *table(["server", "workers", "RSS MiB", "PSS MiB"], memory_rows(results)),
        "",
        "## Every run (each round apart, in the order they ran)",
        "",
        *table(
            ["scenario", "who", "server", "conns", "req/s", "p50 ms", "p99 ms", "max ms", "CPU ms/req", "errors"],
            [
                [
                    name,
                    who,
                    r["server"],
                    str(r["connections"]),
                    fmt(r["rps"]),
                    fmt(r["p50_ms"]),
                    fmt(r["p99_ms"]),
                    fmt(r["max_ms"]),
                    fmt(r.get("cpu_ms_per_request")),
                    _errors(r),
                ]
                for name, who, r in all_runs(results)
            ],
        ),
        "",
        "## How to read this",
        "",
        "- **÷ peer** and **÷ floor** are FacePass's requests/s divided by the peer's or the floor's in the same "
        "run: track these, not the absolute figures, which drift between runs and machines. **÷ peer, CPU** and "
        "**÷ floor, CPU** are the other's CPU ms per request divided by FacePass's (above 1: FacePass spends less "
        "CPU per request): on a machine shared with other work they are the steadier of the two.",
        "- **The peer** (`bench/peers/`) is the design FacePass replaces: FastAPI under uvicorn with 2 workers, a "
        "synchronous SQLAlchemy session per request, a new `httpx.AsyncClient` per proxied call.",
        "- **Floors**: `django` is a bare Django view (no middleware, no database) returning the same JSON body "
        "under the same server and settings; `nginx-proxy` is nginx `proxy_pass` with upstream keepalive straight to "
        "the upstream; pgbench runs the same primary-key SELECT. For the gateway, the reference is the same "
        "endpoint on the auth service, which validates tokens locally.",
        "- **CPU ms/req** is the user + system CPU time of the server's own processes (master and workers, from "
        "`/proc/<pid>/stat` before and after the measured run) divided by the requests served. It moves far less "
        "than requests/s on a busy machine; it leaves out PostgreSQL, Redis and nginx.",
        "- **p50 at 1 connection** is the latency of one request with nothing else queued.",
        "- **load before** is how busy the whole machine was in the second before the scenario (percent of all "
        "cores) and its 1-minute load average: other work on the machine lowers requests/s.",
        f"- wrk, nginx, PostgreSQL, Redis and the servers all share these {machine['cores']} cores: at 32 "
        "connections wrk itself takes a good part of one core, so every figure here is lower than each piece "
        "would reach alone.",
        "- A scenario marked *not available* needs an endpoint that is not on this branch yet; it runs once the "
        "endpoint is merged.",
        "- **Bad status / socket errors** must be 0; any other count is shown in bold with ⚠.",
    ]
    if results.get("profiles"):
        lines += ["", "## Profiles", ""]
        lines += [
            f"- `{p['scenario']}`: [profile-{p['scenario']}.md](profile-{p['scenario']}.md) "
            f"({p['samples']} samples; collapsed stacks for a flame graph in `{p['file']}`, "
            "written by each run and not committed)"
            for p in results["profiles"]
        ]
    if results.get("notes"):
        lines += ["", "## Notes from this run", "", *[f"- {note}" for note in results["notes"]]]
    return "\n".join(lines) + "\n"
