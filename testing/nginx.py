"""nginx with the repository's production config (deploy/nginx/facepass.conf), on a free port, for tests.

    with nginx_server(backend_url=app_server_url, workdir=tmp_path / "nginx", allowed_origins=[origin]) as url:
        ...  # url is http://127.0.0.1:<port>; logs are workdir/access.log and workdir/error.log

nginx runs as a non-daemon child process with its own prefix, logs and temporary directories under `workdir`,
so any number can run beside each other and beside the machine's own nginx.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from testing.services import REPO_ROOT, ServerProcess, free_port, server_process, service_missing

NGINX_BINARY = "/usr/sbin/nginx"
PRODUCTION_CONFIG = REPO_ROOT / "deploy" / "nginx" / "facepass.conf"
PRODUCTION_ORIGINS = REPO_ROOT / "deploy" / "nginx" / "facepass-cors-origins.map"
PRODUCTION_ORIGINS_INCLUDE = "include /etc/nginx/facepass-cors-origins.map;"
PRODUCTION_TRUSTED_PROXIES = REPO_ROOT / "deploy" / "nginx" / "facepass-trusted-proxies.conf"
PRODUCTION_TRUSTED_PROXIES_INCLUDE = "include /etc/nginx/facepass-trusted-proxies.conf;"
MIME_TYPES = Path("/etc/nginx/mime.types")
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_missing() -> str | None:
    """None when nginx is installed, else why the tests that need it can't run."""
    if shutil.which(NGINX_BINARY) is None:
        return f"no nginx at {NGINX_BINARY} (apt-get install nginx)"
    return None


def render_config(*, backend: str, port: int, static_root: Path, origins_file: Path, trusted_proxies_file: Path) -> str:
    """The production config with the addresses and paths of this test run swapped in."""
    config = PRODUCTION_CONFIG.read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server {backend};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "alias /srv/facepass/staticfiles/;": f"alias {static_root}/;",
        PRODUCTION_ORIGINS_INCLUDE: f"include {origins_file};",
        PRODUCTION_TRUSTED_PROXIES_INCLUDE: f"include {trusted_proxies_file};",
    }
    for production, test in replacements.items():
        if config.count(production) != 1:
            raise ValueError(f"{PRODUCTION_CONFIG} should contain {production!r} once; update testing/nginx.py")
        config = config.replace(production, test)
    return config


def main_config(workdir: Path, server_config: Path) -> Path:
    """A minimal top-level nginx.conf in workdir that includes `server_config` in its http block, as
    Debian's /etc/nginx/nginx.conf includes conf.d/*.conf; returns its path."""
    temp = workdir / "temp"
    for kind in TEMP_KINDS:
        (temp / kind).mkdir(parents=True, exist_ok=True)
    temp_paths = "\n".join(f"    {kind}_temp_path {temp / kind};" for kind in TEMP_KINDS)
    path = workdir / "nginx.conf"
    # As root, nginx would run its workers as `nobody`, who can't read pytest's private temporary directories.
    path.write_text(
        f"""user root;
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {MIME_TYPES};
    access_log {workdir}/access.log;
{temp_paths}
    include {server_config};
}}
"""
    )
    return path


def nginx_check(config: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a top-level config."""
    return subprocess.run(
        [NGINX_BINARY, "-t", "-p", str(config.parent), "-c", str(config), "-e", str(config.parent / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )


@contextmanager
def nginx_server(
    *,
    backend_url: str,
    workdir: Path,
    allowed_origins: Sequence[str] = (),
    static_root: Path | None = None,
    trusted_proxies: Sequence[str] = (),
) -> Iterator[str]:
    """nginx in front of backend_url; yields its base URL. Skips (or fails in CI) when nginx is missing.

    `allowed_origins` is the CORS allow-list; `/static/` is served from `static_root` (default workdir/static);
    `trusted_proxies` are the load balancers' addresses (facepass-trusted-proxies.conf).
    """
    if reason := nginx_missing():
        service_missing(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    origins_file = workdir / "cors-origins.map"
    origins_file.write_text("".join(f'"{origin}" $http_origin;\n' for origin in allowed_origins))
    trusted_proxies_file = workdir / "trusted-proxies.conf"
    trusted_proxies_file.write_text("".join(f"set_real_ip_from {proxy};\n" for proxy in trusted_proxies))
    server_config = workdir / "facepass.conf"
    server_config.write_text(
        render_config(
            backend=urlsplit(backend_url).netloc,
            port=port,
            static_root=static_root or workdir / "static",
            origins_file=origins_file,
            trusted_proxies_file=trusted_proxies_file,
        )
    )
    with nginx_process(main_config(workdir, server_config), port=port) as nginx:
        yield nginx.url


@contextmanager
def load_balancer(*, backend_url: str, workdir: Path, scheme: str = "https") -> Iterator[str]:
    """A second nginx standing for a load balancer that terminated TLS: it sets X-Forwarded-For to its peer and
    X-Forwarded-Proto to `scheme`, and proxies to backend_url; yields its base URL."""
    if reason := nginx_missing():
        service_missing(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server_config = workdir / "load-balancer.conf"
    server_config.write_text(
        f"""server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass {backend_url};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto {scheme};
    }}
}}
"""
    )
    with nginx_process(main_config(workdir, server_config), port=port) as nginx:
        yield nginx.url


@contextmanager
def nginx_serving(server_config: str, *, workdir: Path, port: int) -> Iterator[str]:
    """nginx with a server block of the caller's (listening on 127.0.0.1:`port`); yields its base URL."""
    if reason := nginx_missing():
        service_missing(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "server.conf"
    path.write_text(server_config)
    with nginx_process(main_config(workdir, path), port=port) as nginx:
        yield nginx.url


@contextmanager
def nginx_process(config: Path, *, port: int, ready_path: str = "/static/") -> Iterator[ServerProcess]:
    """nginx in the foreground (a child we can stop) with this top-level config, whose directory is its prefix and
    holds its logs; the config listens on 127.0.0.1:`port`. Any answer on `ready_path` means nginx is up."""
    if reason := nginx_missing():
        service_missing(reason)
    workdir = config.parent
    argv = [NGINX_BINARY, "-p", str(workdir), "-c", str(config), "-e", str(workdir / "error.log")]
    with server_process(
        argv,
        env=os.environ,
        log_path=workdir / "stderr.log",
        port=port,
        ready_path=ready_path,
        timeout=15,
        logs=[workdir / "error.log"],
    ) as server:
        yield server
