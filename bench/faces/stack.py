"""Face search as deployed, for the bench: the harness the end-to-end tests use (testing/face_stack.py), with the
bench's sessions, production-like settings, and a way to seed a session's faces through the ORM.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import REPO_ROOT
from sessions_app.demo import session_row
from testing.face_stack import FaceStack as HarnessStack
from testing.face_stack import face_search_stack
from testing.services import THROTTLES_UNREACHED

BENCH_SECRET_KEY = "bench-only-not-a-secret"  # noqa: S105
# The bench keeps the throttles in the path (their cost is part of the figures) at rates it never reaches.


@dataclass
class FaceStack(HarnessStack):
    # Pixora sessions with FacePass enabled, by the bench's name for them.
    sessions: dict[str, str]

    def seed(self, *args: str) -> dict[str, Any]:
        """`python -m bench.faces.seed ARGS` in a Django process on this stack's database; its JSON line."""
        result = subprocess.run(
            [sys.executable, "-m", "bench.faces.seed", *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"bench.faces.seed {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return answer


@contextmanager
def face_stack(directory: Path, *, postgres_url: str, session_names: tuple[str, ...]) -> Iterator[FaceStack]:
    """Everything but the Celery worker, with a FacePass-enabled Pixora session per name; stopped at the end."""
    sessions = {name: str(uuid.uuid4()) for name in session_names}
    rows = [session_row(id=uuid.UUID(session), name=f"Bench session: {name}") for name, session in sessions.items()]
    with face_search_stack(
        directory,
        sessions=rows,
        postgres_url=postgres_url,
        SECRET_KEY=BENCH_SECRET_KEY,
        **THROTTLES_UNREACHED,
        SERVER_LOGLEVEL="warning",
    ) as harness:
        yield FaceStack(**vars(harness), sessions=sessions)
