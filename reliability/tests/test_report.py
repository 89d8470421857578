"""The soak's verdict from its results: empty fault windows fail, lost requests are told from documented 503s,
accepted uploads must be readable or used."""

from __future__ import annotations

import os
import socket
from http import HTTPStatus

import pytest

from reliability.faults import Fault, established_connections
from reliability.load import PROBE_BATCH, Result, png_bytes
from reliability.report import (
    LOST,
    UploadCheck,
    fault_checks,
    image_readable,
    lost_unexplained,
    report,
    status_column,
    unexpected_5xx,
    uploads_check,
)

OK = HTTPStatus.OK
UNAVAILABLE = HTTPStatus.SERVICE_UNAVAILABLE


def steady(start: float, end: float, *, kind: str = "validate", status: int | None = OK) -> list[Result]:
    """A request every 0.1 s, each answered in 20 ms."""
    count = round((end - start) * 10)
    return [Result(kind, start + i / 10, start + i / 10 + 0.02, status) for i in range(count)]


def fault(name: str = "f", *, started: float = 10.0, ended: float = 12.0, **fields) -> Fault:
    return Fault(name, "a fault", started=started, ended=ended, hit="1 thing", hit_count=1, **fields)


def verdict(results: list[Result], faults: list[Fault], uploads: UploadCheck | None = None) -> bool:
    _, met = report(
        results,
        faults,
        uploads or UploadCheck(),
        finished=30.0,
        rate=10,
        gap=5,
        schemathesis="skipped",
        schemathesis_ok=True,
    )
    return met


def test_a_steady_run_meets_the_targets():
    assert verdict(steady(0, 30), [fault()])


def test_a_fault_window_with_no_request_in_flight_fails_its_check():
    results = steady(0, 9) + steady(13, 30)
    quiet = fault(started=10.0, ended=10.05)

    (check,) = fault_checks(results, [quiet], finished=30.0)

    assert check.during == 0
    assert check.problems == ["no request in flight during it"]
    assert not verdict(results, [quiet])


def test_a_request_that_spans_the_fault_counts_as_during_it():
    results = steady(0, 9) + [Result("upload", 9.9, 10.2, OK)] + steady(13, 30)

    (check,) = fault_checks(results, [fault(started=10.0, ended=10.05, needs="upload")], finished=30.0)

    assert (check.during, check.needed_during, check.problems) == (1, 1, [])


def test_a_fault_without_the_requests_it_needs_fails():
    (check,) = fault_checks(steady(0, 30), [fault(needs="upload")], finished=30.0)

    assert check.problems == ["no upload request in flight during it"]


def test_a_fault_that_hit_nothing_fails():
    idle = fault()
    idle.hit_count = 0

    (check,) = fault_checks(steady(0, 30), [idle], finished=30.0)

    assert check.problems == ["it hit nothing"]
    assert not verdict(steady(0, 30), [idle])


def test_the_apps_own_503_is_documented():
    documented = Result("services", 11.0, 11.1, UNAVAILABLE)

    assert status_column(documented) == "503"
    assert not documented.lost
    assert unexpected_5xx([documented]) == []
    assert verdict([*steady(0, 30), documented], [fault()])


@pytest.mark.parametrize(
    "lost",
    [
        Result("details", 11.0, 11.1, UNAVAILABLE, upstream_error="502"),
        Result("details", 11.0, 11.1, HTTPStatus.BAD_GATEWAY),
        Result("details", 11.0, 11.1, None, error="ConnectionError"),
    ],
    ids=["nginx-503-marked", "bare-502", "no-answer"],
)
def test_a_request_lost_in_flight_is_counted_apart_and_fails_without_a_kill(lost):
    assert lost.lost
    assert status_column(lost) in {LOST, "no answer"}
    assert unexpected_5xx([lost]) == []
    assert lost_unexplained([lost], [fault()]) == [lost]
    assert not verdict([*steady(0, 30), lost], [fault()])


def test_a_request_lost_while_a_worker_was_killed_is_explained():
    killed = fault(kills=[11.05])
    in_flight = Result("details", 11.0, 11.1, UNAVAILABLE, upstream_error="502")
    after = Result("details", 11.2, 11.3, UNAVAILABLE, upstream_error="502")

    assert lost_unexplained([in_flight, after], [killed]) == [after]
    (check,) = fault_checks([*steady(0, 30), in_flight], [killed], finished=30.0)
    assert (check.lost, check.unexplained, check.problems) == (1, 0, [])
    assert verdict([*steady(0, 30), in_flight], [killed])
    assert not verdict([*steady(0, 30), in_flight, after], [killed])


def test_a_request_a_worker_kill_cut_must_come_back_as_lost():
    killed = fault(kills=[11.05], probe=PROBE_BATCH)
    cut = Result(PROBE_BATCH, 11.0, 11.1, UNAVAILABLE, upstream_error="502")
    answered = Result(PROBE_BATCH, 11.0, 11.1, HTTPStatus.GATEWAY_TIMEOUT)

    (passed,) = fault_checks([*steady(0, 30), cut], [killed], finished=30.0)
    (missed,) = fault_checks([*steady(0, 30), cut, answered], [killed], finished=30.0)
    (none_sent,) = fault_checks(steady(0, 30), [killed], finished=30.0)

    assert (passed.probes, passed.probes_lost, passed.problems) == (1, 1, [])
    assert missed.problems == [f"1 of 2 {PROBE_BATCH} not counted as lost"]
    assert none_sent.problems == [f"no {PROBE_BATCH} request answered"]
    assert not verdict([*steady(0, 30), cut, answered], [killed])


def test_an_undocumented_5xx_fails():
    broken = Result("upload", 11.0, 11.1, HTTPStatus.INTERNAL_SERVER_ERROR)

    assert status_column(broken) == "other 5xx"
    assert unexpected_5xx([broken]) == [broken]
    assert not verdict([*steady(0, 30), broken], [fault()])


def test_accepted_uploads_are_readable_or_used():
    image = png_bytes()
    rows = [
        ("readable", "queued", False, image),
        ("used", "done", True, None),
        ("truncated", "queued", False, image[: len(image) // 2]),
        ("not-an-image", "queued", False, b"hello"),
        ("gone", "queued", False, None),
        ("not-accepted", "queued", False, image),
    ]
    accepted = {"readable", "used", "truncated", "not-an-image", "gone", "missing"}

    check = uploads_check(accepted, rows)

    assert (check.accepted, check.readable, check.processed) == (6, 1, 1)
    assert check.missing == ["missing"]
    assert check.unreadable == ["not-an-image", "truncated"]
    assert check.selfie_gone == ["gone"]
    assert not verdict(steady(0, 30), [fault()], check)
    assert verdict(steady(0, 30), [fault()], uploads_check({"readable", "used"}, rows))


def test_image_readable_decodes_the_whole_image():
    image = png_bytes()

    assert image_readable(image)
    assert not image_readable(image[:-30])
    assert not image_readable(b"")


def test_established_connections_are_counted_by_local_port():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                held = established_connections(os.getpid(), local_port=port)
                client_side = established_connections(os.getpid(), local_port=client.getsockname()[1])
            client.close()
        after = established_connections(os.getpid(), local_port=port)

    assert held == 1, "the client's own socket is on another local port and must not count"
    assert client_side == 1
    assert after == 0
