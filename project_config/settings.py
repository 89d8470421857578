"""FacePass settings. Every setting is read here, from the environment; `.env.example` lists them all."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from project_config.databases import app_database, read_only_database

# Django's generic classes (ModelAdmin[Model] and the like) made subscriptable at run time, as their stubs are.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "1.0.0"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# --- Applications -----------------------------------------------------------------------------
CORS_MODE = env.str("CORS_MODE", default="django")
if CORS_MODE not in {"django", "nginx"}:
    raise ImproperlyConfigured(f"CORS_MODE must be 'django' or 'nginx', not {CORS_MODE!r}.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # WhiteNoise serves static files under runserver too: never Django's DEBUG-only static view.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "common",
    "sessions_app",
    "proxy_app",
    "sso_app",
    "request_log_app",
    "face_search_app",
]
if CORS_MODE == "django":
    INSTALLED_APPS.append("corsheaders")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the Content-Security-Policy too.
    "common.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.RequestIdMiddleware",
    "request_log_app.middleware.RequestLogMiddleware",
    "common.metrics.MetricsMiddleware",
    # Django's own (the deploy checks look for it by name); the user and message middleware below are for the
    # admin only: /api/ passes them by.
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "common.middleware.SiteAuthenticationMiddleware",
    "common.middleware.SiteMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if CORS_MODE == "django":
    # First, so that error answers from any later layer carry the CORS headers too.
    MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")

ROOT_URLCONF = "project_config.urls"
WSGI_APPLICATION = "project_config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases --------------------------------------------------------------------------------
CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
PIXORA_DEMO_DATABASE_PATH = env.path("PIXORA_DEMO_DATABASE_PATH", default=BASE_DIR / "pixora_demo.sqlite3")
DATABASES = {
    "default": app_database(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'facepass.sqlite3'}"), conn_max_age=CONN_MAX_AGE
    ),
    "pixora": read_only_database(
        env.str("MAIN_APP_DATABASE_URL", default=f"sqlite:///{PIXORA_DEMO_DATABASE_PATH}"),
        conn_max_age=CONN_MAX_AGE,
        statement_timeout_ms=env.int("PIXORA_STATEMENT_TIMEOUT_MS", default=5000),
    ),
}
DATABASE_ROUTERS = ["sessions_app.routers.PixoraRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, keeping one client per pool instead of one per operation (common/cache.py).
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="facepass"),
            # Short socket timeouts: a Redis that is down must cost milliseconds, not a worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "facepass"}}
SESSION_CACHE_TTL = env.int("SESSION_CACHE_TTL", default=60)
SESSION_LOCAL_CACHE_TTL = env.int("SESSION_LOCAL_CACHE_TTL", default=2)

# --- Auth, i18n, static and media -------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# WhiteNoise would add `Access-Control-Allow-Origin: *` to static files: CORS is set by CORS_MODE alone.
WHITENOISE_ALLOW_ALL_ORIGINS = False
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
FACE_SEARCH_MAX_IMAGE_BYTES = env.int("FACE_SEARCH_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
# Bodies above this are refused before they are read whole (the image limit plus multipart overhead).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=FACE_SEARCH_MAX_IMAGE_BYTES + 64 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.JSONFirstContentNegotiation",
    # Proxies in front of us that append to X-Forwarded-For (1 behind our nginx): the client address the login
    # throttles key on. Unset: the peer address, and X-Forwarded-For is ignored (a client could forge it).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "sessions": env.str("THROTTLE_RATE_SESSIONS", default="600/min"),
        "login_ip": env.str("THROTTLE_RATE_LOGIN_IP", default="20/min"),
        "login_username": env.str("THROTTLE_RATE_LOGIN_USERNAME", default="10/min"),
        "face_search_client": env.str("THROTTLE_RATE_FACE_SEARCH_CLIENT", default="10/min"),
        "face_search_session": env.str("THROTTLE_RATE_FACE_SEARCH_SESSION", default="120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FacePass API",
    "DESCRIPTION": "Face-search companion of the Pixora photo-studio platform.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, which the CSP would block.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Pixora API proxy -------------------------------------------------------------------------
MAIN_API_URL = env.str("MAIN_API_URL", default="")
PIXORA_CONNECT_TIMEOUT = env.float("PIXORA_CONNECT_TIMEOUT", default=3.0)
PIXORA_READ_TIMEOUT = env.float("PIXORA_READ_TIMEOUT", default=10.0)
PIXORA_MAX_RESPONSE_BYTES = env.int("PIXORA_MAX_RESPONSE_BYTES", default=1024 * 1024)
PIXORA_BREAKER_THRESHOLD = env.int("PIXORA_BREAKER_THRESHOLD", default=5)
PIXORA_BREAKER_RESET_SECONDS = env.float("PIXORA_BREAKER_RESET_SECONDS", default=30.0)
PIXORA_SERVICES_CACHE_TTL = env.int("PIXORA_SERVICES_CACHE_TTL", default=30)
# Calls to Pixora in flight at once per worker process; more are answered 503 at once (a bulkhead).
PIXORA_MAX_CONCURRENT_CALLS = env.int("PIXORA_MAX_CONCURRENT_CALLS", default=4)
# How long a call waits for one of those places before the 503.
PIXORA_BULKHEAD_WAIT_SECONDS = env.float("PIXORA_BULKHEAD_WAIT_SECONDS", default=0.2)

# --- Face search ------------------------------------------------------------------------------
# Image bytes are fetched only from these hosts (default: the host of MAIN_API_URL).
PIXORA_PHOTO_HOSTS = [
    host.lower()
    for host in env.list("PIXORA_PHOTO_HOSTS", default=[urlsplit(MAIN_API_URL).hostname] if MAIN_API_URL else [])
]
PIXORA_PHOTO_READ_TIMEOUT = env.float("PIXORA_PHOTO_READ_TIMEOUT", default=20.0)
PIXORA_PHOTO_MAX_BYTES = env.int("PIXORA_PHOTO_MAX_BYTES", default=30 * 1024 * 1024)
PIXORA_WEBHOOK_SECRET = env.str("PIXORA_WEBHOOK_SECRET", default="")
# dlib's documented threshold for its ResNet embeddings: the same person is closer than this.
FACE_MATCH_THRESHOLD = env.float("FACE_MATCH_THRESHOLD", default=0.6)
FACE_PHOTO_MAX_SIDE = env.int("FACE_PHOTO_MAX_SIDE", default=1600)
FACE_SELFIE_MAX_SIDE = env.int("FACE_SELFIE_MAX_SIDE", default=1024)
FACE_INDEX_BATCH_SIZE = env.int("FACE_INDEX_BATCH_SIZE", default=2)
FACE_INDEX_MAX_ATTEMPTS = env.int("FACE_INDEX_MAX_ATTEMPTS", default=4)
FACE_INDEX_SWEEP_SECONDS = env.int("FACE_INDEX_SWEEP_SECONDS", default=300)
FACE_INDEX_RETENTION_DAYS = env.int("FACE_INDEX_RETENTION_DAYS", default=30)
FACE_SEARCH_RETENTION_MINUTES = env.int("FACE_SEARCH_RETENTION_MINUTES", default=60)
FACE_SEARCH_RESULT_RETENTION_HOURS = env.int("FACE_SEARCH_RESULT_RETENTION_HOURS", default=24)
FACE_SEARCH_INDEX_WAIT_SECONDS = env.int("FACE_SEARCH_INDEX_WAIT_SECONDS", default=1800)
FACE_SEARCH_POLL_SECONDS = env.float("FACE_SEARCH_POLL_SECONDS", default=2.0)
if FACE_SEARCH_INDEX_WAIT_SECONDS > FACE_SEARCH_RETENTION_MINUTES * 60:
    raise ImproperlyConfigured("FACE_SEARCH_INDEX_WAIT_SECONDS can't outlast FACE_SEARCH_RETENTION_MINUTES.")

# --- Celery (face search workers) ---------------------------------------------------------------
# Redis in production; with no REDIS_URL (`make run`), kombu's filesystem transport under BASE_DIR: still
# Celery and a real worker, with no server to install.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_DIRECTORY = Path(env.str("CELERY_BROKER_DIRECTORY", default=str(BASE_DIR / ".broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIRECTORY),
        "data_folder_out": str(CELERY_BROKER_DIRECTORY),
        "control_folder": str(CELERY_BROKER_DIRECTORY / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message a worker took and never acknowledged (the worker died) is delivered again after this long;
        # longer than any task runs or waits for its countdown, or a running task would be delivered twice.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        # How often workers look for such messages (kombu's default looks every 100 s).
        "unacked_restore_interval": env.float("CELERY_RESTORE_INTERVAL_SECONDS", default=10.0),
        "unacked_restore_throttle": 1,
        # Queues are read in the order a worker lists them (`-Q search,index`): a free process takes a selfie first.
        "queue_order_strategy": "priority",
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Two queues, so that indexing a large session never delays a customer's selfie.
CELERY_TASK_DEFAULT_QUEUE = "index"
CELERY_TASK_ROUTES = {"face_search_app.tasks.face_search_run_task": {"queue": "search"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request waiting on a broker that is down gets its 503 within about a second, not after minutes of retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".celerybeat-schedule"))
CELERY_BEAT_SCHEDULE = {
    "pixora-sessions-sweep": {
        "task": "face_search_app.tasks.sessions_sweep_task",
        "schedule": float(FACE_INDEX_SWEEP_SECONDS),
    },
    "biometric-data-purge": {"task": "face_search_app.tasks.biometric_data_purge_task", "schedule": 60.0},
    "stalled-work-resume": {"task": "face_search_app.tasks.stalled_work_resume_task", "schedule": 60.0},
}

# --- Single sign-on ---------------------------------------------------------------------------
SSO_TOKEN_TTL_MINUTES = env.int("SSO_TOKEN_TTL_MINUTES", default=30)
SSO_SERVICE_KEY = env.str("SSO_SERVICE_KEY", default="")
AUTH_SERVICE_URL = env.str("AUTH_SERVICE_URL", default="")
SSO_VALIDATION_CACHE_SECONDS = env.int("SSO_VALIDATION_CACHE_SECONDS", default=10)
SSO_CONNECT_TIMEOUT = env.float("SSO_CONNECT_TIMEOUT", default=1.0)
SSO_READ_TIMEOUT = env.float("SSO_READ_TIMEOUT", default=3.0)
POD_NAME = env.str("POD_NAME", default=socket.gethostname())
REQUEST_LOG_RETENTION_DAYS = env.int("REQUEST_LOG_RETENTION_DAYS", default=14)
SSO_RECORD_RETENTION_DAYS = env.int("SSO_RECORD_RETENTION_DAYS", default=30)
SSO_AUDIT_RETENTION_DAYS = env.int("SSO_AUDIT_RETENTION_DAYS", default=365)
# The issuer named in discovery and introspection answers; empty: the scheme and host each request came in on.
SSO_ISSUER = env.str("SSO_ISSUER", default="")
# Hours a service client's previous secret keeps working after `manage.py sso_client_rotate`.
SSO_CLIENT_SECRET_OVERLAP_HOURS = env.int("SSO_CLIENT_SECRET_OVERLAP_HOURS", default=24)
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds a mail server may take before a sign-in code's email is given up (the worker, not a web thread, waits).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FacePass <no-reply@localhost>")

# --- CORS (django mode; in nginx mode nginx adds the headers and Django sends none) -----------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://localhost:8080"])
# Exact origins only: "*" or "null" with credentials would let any page read a user's answers.
CORS_ORIGIN_PATTERN = r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]+)?"
if bad_origins := [o for o in CORS_ALLOWED_ORIGINS if not re.fullmatch(CORS_ORIGIN_PATTERN, o)]:
    raise ImproperlyConfigured(
        f"CORS_ALLOWED_ORIGINS must list exact origins such as https://app.example.com, not {bad_origins}."
    )
CORS_ALLOW_CREDENTIALS = True
CORS_PREFLIGHT_MAX_AGE = 86400
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type", "x-csrftoken", "x-request-id"]
CORS_EXPOSE_HEADERS = ["x-request-id"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=CORS_ALLOWED_ORIGINS)

# --- Security (nginx terminates TLS; these come from the environment) -------------------------
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^api/(healthz|livez|readyz)/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp): only our own origin; no inline script anywhere --------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # Matched photos and their thumbnails are shown from Pixora's own hosts (PIXORA_PHOTO_HOSTS), any port.
        "img-src": [SELF, "data:", "blob:", *(f"{host}:*" for host in PIXORA_PHOTO_HOSTS)],
        "media-src": [SELF, "blob:"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
    }
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
