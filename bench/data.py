"""The bench's data: its own PostgreSQL databases (Pixora's photo_sessions with generated rows, FacePass's own) and
the input files wrk and pgbench read."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from testing.postgres import autocommit, database_url

REPO_ROOT = Path(__file__).resolve().parent.parent
PIXORA_SCHEMA_SQL = REPO_ROOT / "deploy" / "pixora" / "schema.sql"

# Row n gets the id md5('bench-<n>') as a uuid: PostgreSQL, Python and pgbench's script compute the same one.
GENERATE_ROWS_SQL = """
INSERT INTO photo_sessions (
    id, name, description, photographer_id, studio_id, status, scheduled_at, completed_at, settings,
    created_at, updated_at, service_package_id, facepass_enabled
)
SELECT
    md5('bench-' || n)::uuid,
    'Bench session ' || n,
    CASE WHEN n % 3 = 0 THEN NULL ELSE 'Photo session number ' || n || ' of the benchmark data set' END,
    md5('photographer-' || (n % 500))::uuid,
    md5('studio-' || (n % 50))::uuid,
    (ARRAY['created', 'scheduled', 'in_progress', 'completed', 'cancelled'])[1 + n % 5]::photo_session_status,
    timestamptz '2026-01-01 09:00+00' + n * interval '7 minutes',
    CASE WHEN n % 5 = 3 THEN timestamptz '2026-01-01 12:00+00' + n * interval '7 minutes' END,
    jsonb_build_object('watermark', n % 2 = 0, 'language', 'en', 'max_downloads', n % 20),
    timestamptz '2025-12-01 08:00+00' + n * interval '1 minute',
    timestamptz '2025-12-02 08:00+00' + n * interval '1 minute',
    CASE WHEN n % 4 = 0 THEN NULL ELSE md5('package-' || (n % 10))::uuid END,
    n % 10 <> 0
FROM generate_series(1, {rows}) AS n
"""

# The query Django runs for PhotoSession.objects.get(id=...) (get() drops the model's ordering), for pgbench.
PRIMARY_KEY_SELECT = (
    'SELECT "photo_sessions"."id", "photo_sessions"."name", "photo_sessions"."description", '
    '"photo_sessions"."photographer_id", "photo_sessions"."studio_id", "photo_sessions"."status", '
    '"photo_sessions"."scheduled_at", "photo_sessions"."completed_at", "photo_sessions"."settings", '
    '"photo_sessions"."created_at", "photo_sessions"."updated_at", "photo_sessions"."service_package_id", '
    '"photo_sessions"."facepass_enabled" FROM "photo_sessions" '
    'WHERE "photo_sessions"."id" = md5(\'bench-\' || :n)::uuid LIMIT 21'
)


def bench_session_id(n: int) -> str:
    """The id of generated row n (1-based), as PostgreSQL computes it."""
    return str(uuid.UUID(hashlib.md5(f"bench-{n}".encode(), usedforsecurity=False).hexdigest()))


BATCH_SIZE = 100
BATCH_BODIES = 200

# Row 1 has FacePass enabled (every tenth row has it off): the id of the "hot" scenarios.
HOT_SESSION_ID = bench_session_id(1)


@dataclass
class BenchDatabases:
    """Fresh databases on one server, all named after this run, all dropped by drop()."""

    server_url: str
    run_id: str
    created: list[str] = field(default_factory=list)

    def create(self, suffix: str, *, template: str | None = None) -> str:
        name = f"facepass_bench_{self.run_id}_{suffix}"
        with autocommit(self.server_url) as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return name

    def url(self, name: str) -> str:
        return database_url(self.server_url, name)

    def create_pixora(self, rows: int) -> str:
        """Pixora's schema from deploy/pixora/schema.sql and `rows` generated photo_sessions, made server-side."""
        name = self.create("pixora")
        with autocommit(self.url(name)) as cursor:
            cursor.execute(PIXORA_SCHEMA_SQL.read_text())
            cursor.execute(GENERATE_ROWS_SQL.format(rows=int(rows)))
            cursor.execute("VACUUM ANALYZE photo_sessions")
        return name

    def drop(self) -> None:
        while self.created:
            name = self.created.pop()
            with autocommit(self.server_url) as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_ids(path: Path, rows: int, *, enabled_only: bool = False) -> Path:
    """Every generated id (or only those with FacePass enabled: not every tenth), one a line, for wrk's Lua script."""
    numbers = (n for n in range(1, rows + 1) if not enabled_only or n % 10 != 0)
    path.write_text("".join(f"{bench_session_id(n)}\n" for n in numbers))
    return path


@dataclass(frozen=True)
class LoadInputs:
    """The files wrk's Lua script and pgbench read, by the name scenarios give them (Scenario.ids)."""

    random: Path
    enabled: Path
    hot: Path
    pod: Path
    batch: Path
    pgbench_script: Path

    def lines(self, kind: str) -> Path:
        return {"hot": self.hot, "random": self.random, "enabled": self.enabled, "batch": self.batch, "pod": self.pod}[
            kind
        ]


def load_inputs_write(directory: Path, rows: int, *, pod: str, seed: int = 9) -> LoadInputs:
    """Every input file of a run on `rows` generated sessions, written into `directory`."""
    rng = random.Random(seed)
    hot = directory / "ids-hot.txt"
    hot.write_text(HOT_SESSION_ID + "\n")
    pod_file = directory / "ids-pod.txt"
    pod_file.write_text(f"{pod}\n")
    batch = directory / "batch-bodies.txt"
    batch.write_text(
        "".join(
            json.dumps({"session_ids": [bench_session_id(rng.randint(1, rows)) for _ in range(BATCH_SIZE)]}) + "\n"
            for _ in range(BATCH_BODIES)
        )
    )
    script = directory / "pk-select.sql"
    script.write_text(f"\\set n random(1, {rows})\n{PRIMARY_KEY_SELECT};\n")
    return LoadInputs(
        random=write_ids(directory / "ids-random.txt", rows),
        enabled=write_ids(directory / "ids-enabled.txt", rows, enabled_only=True),
        hot=hot,
        pod=pod_file,
        batch=batch,
        pgbench_script=script,
    )
