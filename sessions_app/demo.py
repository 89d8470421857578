"""Demo Pixora data for local runs and tests: a small SQLite stand-in for Pixora's database."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Django's SQLite conventions: uuid as 32 hex characters, timestamps as naive UTC text, JSON as text.
SQLITE_SCHEMA = """
CREATE TABLE photo_sessions (
    id char(32) PRIMARY KEY,
    name text NOT NULL,
    description text,
    photographer_id char(32) NOT NULL,
    studio_id char(32) NOT NULL,
    status text NOT NULL,
    scheduled_at datetime,
    completed_at datetime,
    settings text,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    service_package_id char(32),
    facepass_enabled bool NOT NULL
)
"""
COLUMNS = (
    "id",
    "name",
    "description",
    "photographer_id",
    "studio_id",
    "status",
    "scheduled_at",
    "completed_at",
    "settings",
    "created_at",
    "updated_at",
    "service_package_id",
    "facepass_enabled",
)

DEMO_STUDIO_ID = uuid.UUID("5eed0000-0000-4000-8000-000000000001")
DEMO_PHOTOGRAPHER_ID = uuid.UUID("5eed0000-0000-4000-8000-000000000002")
DEMO_PACKAGE_ID = uuid.UUID("5eed0000-0000-4000-8000-000000000003")
DEMO_CREATED_AT = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def session_row(**overrides: Any) -> dict[str, Any]:
    """A complete photo_sessions row as Python values; fields not given get plausible values."""
    created_at = overrides.pop("created_at", DEMO_CREATED_AT)
    row = {
        "id": uuid.uuid4(),
        "name": "Demo session",
        "description": None,
        "photographer_id": DEMO_PHOTOGRAPHER_ID,
        "studio_id": DEMO_STUDIO_ID,
        "status": "created",
        "scheduled_at": None,
        "completed_at": None,
        "settings": None,
        "created_at": created_at,
        "updated_at": created_at,
        "service_package_id": None,
        "facepass_enabled": True,
    }
    unknown = set(overrides) - set(row)
    if unknown:
        raise ValueError(f"photo_sessions has no column(s) {sorted(unknown)}")
    row.update(overrides)
    return row


DEMO_SESSIONS = [
    session_row(
        id=uuid.UUID("11111111-1111-4111-8111-111111111111"),
        name="Spring wedding: Anna & Mark",
        description="Outdoor ceremony and reception.",
        status="completed",
        scheduled_at=DEMO_CREATED_AT + timedelta(days=10),
        completed_at=DEMO_CREATED_AT + timedelta(days=10, hours=6),
        settings={"watermark": True, "max_photos": 500},
        service_package_id=DEMO_PACKAGE_ID,
        facepass_enabled=True,
    ),
    session_row(
        id=uuid.UUID("22222222-2222-4222-8222-222222222222"),
        name="Corporate headshots",
        status="scheduled",
        scheduled_at=DEMO_CREATED_AT + timedelta(days=30),
        settings={"watermark": False},
        facepass_enabled=False,
    ),
    session_row(
        id=uuid.UUID("33333333-3333-4333-8333-333333333333"),
        name="Свадьба Ивановых 💍 — 結婚式",
        description="Имена и описания хранятся как есть.",
        status="scheduled",
        scheduled_at=DEMO_CREATED_AT + timedelta(days=45),
        settings=["portraits", "group"],
        facepass_enabled=True,
    ),
    session_row(
        id=uuid.UUID("44444444-4444-4444-8444-444444444444"),
        name="Graduation 2026 <b>class</b>",
        status="created",
        facepass_enabled=True,
    ),
]


def sqlite_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """One row's values in the form Django's SQLite backend reads back."""

    def convert(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return value

    values = {column: convert(row[column]) for column in COLUMNS}
    if row["settings"] is not None:
        values["settings"] = json.dumps(row["settings"])
    return tuple(values[column] for column in COLUMNS)


def sqlite_insert(connection: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    placeholders = ", ".join("?" for _ in COLUMNS)
    connection.executemany(
        f"INSERT INTO photo_sessions ({', '.join(COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
        [sqlite_values(row) for row in rows],
    )
    connection.commit()


def demo_database_create(path: Path, rows: list[dict[str, Any]] | None = None) -> None:
    """(Re)create a SQLite file standing for Pixora's database, with the demo sessions."""
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(SQLITE_SCHEMA)
        sqlite_insert(connection, DEMO_SESSIONS if rows is None else rows)
    connection.close()
