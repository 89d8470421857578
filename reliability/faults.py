"""The faults the soak injects in turn, each measuring what it hit (connections cut, requests held, workers killed)."""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from reliability.load import PROBE_BATCH, Load
from reliability.stack import FACEPASS_DATABASE, SoakStack

PIXORA_DOWN_SECONDS = 10.0
FACEPASS_DOWN_SECONDS = 5.0
# pg_terminate_backend once would end the connections between two requests and touch none in flight.
CONNECTION_KILLING_SECONDS = 5.0
CONNECTION_KILLING_INTERVAL = 0.5
REDIS_DOWN_SECONDS = 10.0
WORKER_KILLS = 4
WORKER_KILL_SPACING = 1.5
# How long a kill waits for its probe's query to wait in Pixora's database.
PROBE_WAIT = 10.0
PIXORA_TABLE = "photo_sessions"
UPSTREAM_HANG_SECONDS = 20.0
UPSTREAM_REFUSE_SECONDS = 10.0


@dataclass
class Fault:
    """A fault, when it ran (seconds from the load's start) and what it hit, as measured while it ran."""

    name: str
    description: str
    # A kind of request that must be in flight during the fault for it to have tested what it is for.
    needs: str = ""
    started: float = 0.0
    ended: float = 0.0
    hit: str = ""
    # The measure in `hit` that shows the fault acted (connections cut, requests held, workers killed).
    hit_count: int = 0
    # Moments a worker was SIGKILLed: a request in flight then may be lost, and is counted as explained.
    kills: list[float] = field(default_factory=list)
    # The kind of request the fault sends itself and knows it cut mid-answer: each must come back as lost.
    probe: str = ""


Inject = Callable[[Fault], None]


def wait_for(predicate: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def established_connections(pid: int, *, local_port: int) -> int:
    """Established TCP connections this process holds with this local port: on a server's listening port, the
    clients it serves (kept alive or busy); on a client's ephemeral port, that one outgoing connection."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    held = 0
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and port == local_port and fields[9] in inodes:  # 01: ESTABLISHED
                held += 1
    return held


@contextmanager
def table_locked(url: str, table: str) -> Iterator[None]:
    """An ACCESS EXCLUSIVE lock on the table for the block: every query on it waits until the block ends."""
    connection = psycopg2.connect(url, connect_timeout=3)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        connection.rollback()
        connection.close()


def faults_for(stack: SoakStack, load: Load) -> list[tuple[Fault, Inject]]:
    def pixora_down(fault: Fault) -> None:
        open_connections = stack.pixora_cluster.client_connections(stack.pixora_database)
        stack.pixora_cluster.stop()
        time.sleep(PIXORA_DOWN_SECONDS)
        stack.pixora_cluster.start()
        fault.hit, fault.hit_count = f"{open_connections} app connections cut by the stop", open_connections

    def facepass_restart(fault: Fault) -> None:
        open_connections = stack.facepass_cluster.client_connections(FACEPASS_DATABASE)
        stack.facepass_cluster.stop()
        time.sleep(FACEPASS_DOWN_SECONDS)
        stack.facepass_cluster.start()
        fault.hit, fault.hit_count = f"{open_connections} app connections cut by the stop", open_connections

    def kill_connections(fault: Fault) -> None:
        pixora = facepass = rounds = 0
        deadline = time.monotonic() + CONNECTION_KILLING_SECONDS
        while time.monotonic() < deadline:
            pixora += stack.pixora_cluster.terminate_connections(stack.pixora_database)
            facepass += stack.facepass_cluster.terminate_connections(FACEPASS_DATABASE)
            rounds += 1
            time.sleep(CONNECTION_KILLING_INTERVAL)
        fault.hit = (
            f"{pixora + facepass} connections terminated (Pixora {pixora}, FacePass {facepass}) in {rounds} rounds"
        )
        fault.hit_count = pixora + facepass

    def redis_down(fault: Fault) -> None:
        clients = stack.redis.client_connections()
        stack.redis.stop()
        time.sleep(REDIS_DOWN_SECONDS)
        stack.redis.start()
        fault.hit, fault.hit_count = f"{clients} client connections cut by the stop", clients

    def replaced(victim: int, count: int) -> bool:
        workers = stack.app_server.worker_pids()
        return victim not in workers and len(workers) >= count

    def probe_backend_port(probe_id: str) -> int | None:
        """The client port of the Pixora connection whose query for this id waits on a lock, if one does."""
        rows = stack.pixora_cluster.execute(
            "SELECT client_port FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            (stack.pixora_database, f"%{probe_id}%"),
        )
        return rows[0][0] if rows else None

    def probe_waits(probe_id: str) -> bool:
        return probe_backend_port(probe_id) is not None

    def kill_workers(fault: Fault) -> None:
        # Each kill lands on the worker whose probe is waiting in Pixora's database (the table locked meanwhile), so
        # it surely cuts a request mid-answer; the probe is a POST, which nginx does not retry on another worker.
        nginx_connections = in_flight = 0
        pixora_url = stack.pixora_cluster.url(stack.pixora_database)
        for _ in range(WORKER_KILLS):
            probe_id = str(uuid.uuid4())
            with table_locked(pixora_url, PIXORA_TABLE):
                load.send(PROBE_BATCH, probe_id)
                if not wait_for(functools.partial(probe_waits, probe_id), timeout=PROBE_WAIT):
                    raise RuntimeError(f"the probe's query did not reach Pixora's database within {PROBE_WAIT:g} s")
                client_port = probe_backend_port(probe_id)
                assert client_port is not None, "the probe waits on the lock held here until the block ends"
                workers = stack.app_server.worker_pids()
                victim = next((pid for pid in workers if established_connections(pid, local_port=client_port)), None)
                if victim is None:
                    raise RuntimeError(f"no server worker holds the probe's database connection (port {client_port})")
                nginx_connections += established_connections(victim, local_port=stack.app_server.port)
                in_flight += load.in_flight
                os.kill(victim, signal.SIGKILL)
                fault.kills.append(load.now())
            if not wait_for(functools.partial(replaced, victim, len(workers))):
                raise RuntimeError(f"the server did not replace worker {victim} within 30 s")
            time.sleep(WORKER_KILL_SPACING)
        fault.hit = (
            f"{len(fault.kills)} workers killed, each serving a probe; they held {nginx_connections} connections "
            f"from nginx, with requests in flight (client side): {in_flight}"
        )
        fault.hit_count = len(fault.kills)

    def upstream_hang_then_refuse(fault: Fault) -> None:
        before = len(stack.upstream.requests)
        stack.upstream.behave("hang")
        time.sleep(UPSTREAM_HANG_SECONDS)
        hung = len(stack.upstream.requests) - before
        stack.upstream.behave("refuse")
        time.sleep(UPSTREAM_REFUSE_SECONDS)
        stack.upstream.behave("ok")
        fault.hit, fault.hit_count = f"{hung} proxied calls held hanging, then the port closed", hung

    return [
        (
            Fault(
                "pixora-db-down",
                f"Pixora's PostgreSQL stopped for {PIXORA_DOWN_SECONDS:g} s (pg_ctl stop -m fast, then start)",
            ),
            pixora_down,
        ),
        (
            Fault(
                "facepass-db-restart",
                f"FacePass's PostgreSQL stopped for {FACEPASS_DOWN_SECONDS:g} s, then started, uploads under way",
                needs="upload",
            ),
            facepass_restart,
        ),
        (
            Fault(
                "db-connections-killed",
                f"pg_terminate_backend on every app connection, both databases, every "
                f"{CONNECTION_KILLING_INTERVAL:g} s for {CONNECTION_KILLING_SECONDS:g} s",
            ),
            kill_connections,
        ),
        (Fault("redis-down", f"Redis stopped for {REDIS_DOWN_SECONDS:g} s"), redis_down),
        (
            Fault(
                "worker-sigkill",
                f"a server worker SIGKILLed {WORKER_KILLS} times, {WORKER_KILL_SPACING:g} s after each "
                "replacement, each while serving a probe (a batch validation held on a lock in Pixora's database)",
                probe=PROBE_BATCH,
            ),
            kill_workers,
        ),
        # Last: the proxy's circuit breaker stays open up to PIXORA_BREAKER_RESET_SECONDS after Pixora is back,
        # which would otherwise be counted against the next fault.
        (
            Fault(
                "upstream-hang-refuse",
                f"Pixora API hangs {UPSTREAM_HANG_SECONDS:g} s, then refuses connections {UPSTREAM_REFUSE_SECONDS:g} s",
                needs="services",
            ),
            upstream_hang_then_refuse,
        ),
    ]
