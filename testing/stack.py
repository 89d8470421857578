"""FacePass as deployed, for end-to-end tests: the app server with the demo Pixora data, and nginx in front if asked.

with facepass_stack(tmp_path, cors_mode="nginx", cors_origins=[origin], with_nginx=True) as stack:
    ...  # stack.url is what a browser calls (nginx when there is one), stack.backend_url is the app server
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sessions_app.demo import demo_database_create
from testing.nginx import nginx_server
from testing.services import app_server, base_environment, manage


@dataclass(frozen=True)
class Stack:
    url: str
    backend_url: str
    directory: Path
    with_nginx: bool

    @property
    def access_log(self) -> Path:
        """Where the requests that reach `url` are logged (nginx's log, or the app server's without nginx)."""
        return self.directory / ("nginx/access.log" if self.with_nginx else "server-access.log")

    @property
    def backend_access_log(self) -> Path:
        return self.directory / "server-access.log"


@contextmanager
def facepass_stack(
    directory: Path,
    *,
    cors_mode: str,
    cors_origins: Sequence[str],
    with_nginx: bool = False,
    collectstatic: bool = False,
    trusted_proxies: Sequence[str] = (),
    **env_overrides: str,
) -> Iterator[Stack]:
    """The app server (one worker) on the demo Pixora sessions with CORS_MODE=`cors_mode`, behind nginx if asked.

    `cors_origins` is the allow-list of both Django and nginx. FacePass's own database is an empty SQLite file:
    run `manage("migrate", ...)` with `env_overrides` of your own if a test needs its tables.
    """
    directory.mkdir(parents=True, exist_ok=True)
    demo_database_create(directory / "pixora.sqlite3")
    env = base_environment(
        directory,
        CORS_MODE=cors_mode,
        CORS_ALLOWED_ORIGINS=",".join(cors_origins),
        SERVER_WORKERS="1",
        SERVER_THREADS="4",
        SERVER_ACCESSLOG=str(directory / "server-access.log"),
        **env_overrides,
    )
    if collectstatic:
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    with app_server(env, log_path=directory / "server.log") as backend_url:
        if not with_nginx:
            yield Stack(url=backend_url, backend_url=backend_url, directory=directory, with_nginx=False)
            return
        with nginx_server(
            backend_url=backend_url,
            workdir=directory / "nginx",
            allowed_origins=cors_origins,
            static_root=Path(env["STATIC_ROOT"]),
            trusted_proxies=trusted_proxies,
        ) as url:
            yield Stack(url=url, backend_url=backend_url, directory=directory, with_nginx=True)
