"""The bare-Django floor: no middleware, no database, no apps; one view returning a fixed JSON body."""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-floor-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, object]] = {}
ROOT_URLCONF = "bench.floors.urls"
USE_TZ = True
# JSON file {"<name>": <body>, ...}: the bodies FacePass answered, captured by the bench.
BENCH_FLOOR_BODIES = os.environ.get("BENCH_FLOOR_BODIES", "")
