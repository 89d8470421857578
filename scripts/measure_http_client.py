"""The client's CPU for one proxied call to Pixora's services endpoint, by HTTP client, against a real local server.

    .venv/bin/python scripts/measure_http_client.py [calls]

What the services proxy does per call (a streamed GET with two headers and a (connect, read) timeout, the body
read, the connection given back), done three ways on one kept-alive connection: through FacePass's pooled
requests session (common/http.py, as the proxy calls it), through that session's adapter with a prepared request
(skipping Session's per-call merging of cookies, environment and hooks), and through a urllib3 pool directly.
Prints the calling thread's CPU µs per call (time.thread_time: the stand-in server's threads are not counted),
medians of 5 rounds of interleaved variants. It explains the proxy's gap to its target in docs/performance.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.http import pooled_session  # noqa: E402
from testing.upstream import PixoraApiStub  # noqa: E402

SESSION_ID = "11111111-1111-4111-8111-111111111111"
HEADERS = {"Accept": "application/json", "X-Request-ID": "measure-http-client"}
TIMEOUT = (3.0, 10.0)
ROUNDS = 5


def variants(url: str) -> dict[str, Callable[[], None]]:
    session = pooled_session("measure", timeout=TIMEOUT)
    adapter = session.get_adapter(url)
    pool = urllib3.PoolManager(maxsize=4)
    timeout = urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1])

    def through_session() -> None:
        response = session.get(url, headers=HEADERS, stream=True, allow_redirects=False)
        response.raw.read()
        response.close()

    def through_adapter() -> None:
        prepared = requests.PreparedRequest()
        prepared.prepare(method="GET", url=url, headers=HEADERS)
        response = adapter.send(prepared, stream=True, timeout=TIMEOUT)
        response.raw.read()
        response.close()

    def through_urllib3() -> None:
        response = pool.request(
            "GET", url, headers=HEADERS, timeout=timeout, preload_content=False, redirect=False, retries=False
        )
        response.read()
        response.release_conn()

    return {"requests session": through_session, "session's adapter": through_adapter, "urllib3 pool": through_urllib3}


def cpu_us_per_call(call: Callable[[], None], calls: int) -> float:
    started = time.thread_time()
    for _ in range(calls):
        call()
    return (time.thread_time() - started) / calls * 1e6


def main(calls: int) -> None:
    with PixoraApiStub() as upstream:
        url = f"{upstream.url}/api/session/{SESSION_ID}/services"
        clients = variants(url)
        measured: dict[str, list[float]] = {name: [] for name in clients}
        for call in clients.values():
            for _ in range(200):
                call()  # connections open, code warm
        for _ in range(ROUNDS):
            for name, call in clients.items():
                measured[name].append(cpu_us_per_call(call, calls))
    print(f"client CPU µs per call, median of {ROUNDS} rounds of {calls} calls:")
    for name, figures in measured.items():
        print(f"  {name:20} {statistics.median(figures):7.1f}  ({min(figures):.1f}–{max(figures):.1f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
