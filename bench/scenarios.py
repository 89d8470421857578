"""What the bench measures: FacePass scenarios, each compared with the peer and with a floor of this machine."""

from __future__ import annotations

from dataclasses import dataclass

VALIDATE_PATH = "/api/v1/sessions/validate/{id}"
DETAIL_PATH = "/api/v1/sessions/{id}"
BATCH_PATH = "/api/v1/sessions/validate"
PROXY_PATH = "/api/v1/remote-services/{id}"
LOGS_PATH = "/api/v1/logs/{id}?limit=20"

# FacePass instances (each its own server, own database, own cache key prefix), by the settings that differ.
FACEPASS_CACHED = "facepass"
FACEPASS_UNCACHED = "facepass-nocache"
AUTH_SERVICE = "auth-service"
GATEWAY_CACHED = "gateway-sso-cached"
GATEWAY_UNCACHED = "gateway-sso-uncached"

# Floors (the most this machine can do for that kind of work).
FLOOR_DJANGO = "django"
FLOOR_NGINX_PROXY = "nginx-proxy"
FLOOR_PGBENCH = "pgbench"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    method: str
    path: str
    # "hot": one id, "random": any of the generated rows, "enabled": any with FacePass enabled, "batch": POST bodies
    # of 100 random ids, "pod"
    ids: str
    facepass: str
    peer: bool = True
    floor: str | None = None
    floor_body: str | None = None  # which FacePass answer the bare-Django floor returns
    needs: str | None = None  # a path that must resolve in FacePass's URLconf, else "not available"
    compare_with: str | None = None  # another scenario as the reference instead of a floor (the gateway)
    profile: bool = False


SCENARIOS = [
    Scenario(
        "validate-hot",
        "validate, hot (one id, cached)",
        "GET",
        VALIDATE_PATH,
        "hot",
        FACEPASS_CACHED,
        floor=FLOOR_DJANGO,
        floor_body="validate",
        profile=True,
    ),
    Scenario(
        "validate-cold",
        "validate, cold (random ids of 100,000, cache off)",
        "GET",
        VALIDATE_PATH,
        "random",
        FACEPASS_UNCACHED,
        floor=FLOOR_DJANGO,
        floor_body="validate",
        profile=True,
    ),
    Scenario(
        "details",
        "session details (random ids, cache off)",
        "GET",
        DETAIL_PATH,
        "random",
        FACEPASS_UNCACHED,
        floor=FLOOR_DJANGO,
        floor_body="details",
    ),
    Scenario(
        "batch-validate",
        "batch validate, 100 random ids (cache on)",
        "POST",
        BATCH_PATH,
        "batch",
        FACEPASS_CACHED,
        floor=FLOOR_DJANGO,
        floor_body="batch",
    ),
    Scenario(
        "proxy-cache-off",
        "services proxy, cache off (random FacePass-enabled ids)",
        "GET",
        PROXY_PATH,
        "enabled",
        FACEPASS_UNCACHED,
        floor=FLOOR_NGINX_PROXY,
        needs="/api/v1/remote-services/11111111-1111-4111-8111-111111111111",
        profile=True,
    ),
    Scenario(
        "proxy-cache-on",
        "services proxy, cache on (one id)",
        "GET",
        PROXY_PATH,
        "hot",
        FACEPASS_CACHED,
        floor=FLOOR_NGINX_PROXY,
        needs="/api/v1/remote-services/11111111-1111-4111-8111-111111111111",
    ),
    Scenario(
        "logs-local",
        "logs of a pod, token validated locally (the auth service itself)",
        "GET",
        LOGS_PATH,
        "pod",
        AUTH_SERVICE,
        peer=False,
        needs="/api/v1/logs/bench-pod",
    ),
    Scenario(
        "logs-sso-cached",
        "logs through a gateway, remote SSO validation cached",
        "GET",
        LOGS_PATH,
        "pod",
        GATEWAY_CACHED,
        peer=False,
        needs="/api/v1/logs/bench-pod",
        compare_with="logs-local",
    ),
    Scenario(
        "logs-sso-uncached",
        "logs through a gateway, remote SSO validation on every call",
        "GET",
        LOGS_PATH,
        "pod",
        GATEWAY_UNCACHED,
        peer=False,
        needs="/api/v1/logs/bench-pod",
        compare_with="logs-local",
    ),
]
