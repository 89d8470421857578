"""Pixora databases for tests: a SQLite file or a real PostgreSQL database, written only by the tests."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections
from psycopg2.extras import Json, register_uuid

from project_config.databases import read_only_database
from sessions_app.demo import COLUMNS, DEMO_SESSIONS, demo_database_create, session_row, sqlite_insert
from sessions_app.models import PIXORA_DATABASE
from testing.postgres import autocommit, database_url

PIXORA_SCHEMA_SQL = Path(__file__).resolve().parent.parent / "deploy" / "pixora" / "schema.sql"

register_uuid()  # type: ignore[no-untyped-call]  # types-psycopg2 leaves register_uuid unannotated


class PixoraTestDatabase:
    """Where the tests write Pixora rows, beside the read-only connection FacePass uses."""

    url: str

    def insert(self, **fields: Any) -> dict[str, Any]:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        return read_only_database(self.url, conn_max_age=0)


@dataclass
class SqlitePixora(PixoraTestDatabase):
    path: Path

    def __post_init__(self) -> None:
        demo_database_create(self.path)
        self.url = f"sqlite:///{self.path}"

    def insert(self, **fields: Any) -> dict[str, Any]:
        row = session_row(**fields)
        with sqlite3.connect(self.path) as connection:
            sqlite_insert(connection, [row])
        connection.close()
        return row

    def count(self) -> int:
        with sqlite3.connect(self.path) as connection:
            row: tuple[int] = connection.execute("SELECT count(*) FROM photo_sessions").fetchone()
        connection.close()
        return row[0]


@dataclass
class PostgresPixora(PixoraTestDatabase):
    """A fresh PostgreSQL database with Pixora's real schema (enum, uuid, jsonb, timestamptz)."""

    server_url: str
    name: str = field(default_factory=lambda: f"facepass_test_pixora_{uuid.uuid4().hex[:12]}")

    def __post_init__(self) -> None:
        with autocommit(self.server_url) as cursor:
            cursor.execute(f'CREATE DATABASE "{self.name}"')
        self.url = database_url(self.server_url, self.name)
        self.execute(PIXORA_SCHEMA_SQL.read_text())
        for row in DEMO_SESSIONS:
            self.insert(**row)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run SQL as the server's owner role, outside FacePass's read-only connection."""
        with autocommit(self.url) as cursor:
            cursor.execute(sql, params)

    def insert(self, **fields: Any) -> dict[str, Any]:
        row = session_row(**fields)
        values = [Json(row[c]) if c == "settings" and row[c] is not None else row[c] for c in COLUMNS]
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        self.execute(f"INSERT INTO photo_sessions ({', '.join(COLUMNS)}) VALUES ({placeholders})", tuple(values))
        return row

    def count(self) -> int:
        with autocommit(self.url) as cursor:
            cursor.execute("SELECT count(*) FROM photo_sessions")
            row = cursor.fetchone()
        assert row is not None, "count(*) answers one row"
        count: int = row[0]
        return count

    def rows_digest(self) -> str:
        """Every row as text, to show that nothing changed."""
        with autocommit(self.url) as cursor:
            cursor.execute("SELECT row_to_json(s)::text FROM photo_sessions s ORDER BY id")
            return json.dumps([row[0] for row in cursor.fetchall()])

    def drop(self) -> None:
        with autocommit(self.server_url) as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def use_pixora_database(database: PixoraTestDatabase) -> None:
    """Point Django's `pixora` alias at this database (between tests, never inside one)."""
    connections[PIXORA_DATABASE].close()
    configured = connections.configure_settings(
        {"default": dict(connections.settings["default"]), PIXORA_DATABASE: database.settings()}
    )
    connections.settings[PIXORA_DATABASE] = configured[PIXORA_DATABASE]
    del connections[PIXORA_DATABASE]
