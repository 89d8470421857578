#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests and benchmarks use, when they are missing and we can.
# Without root or apt-get it only says what is missing: those tests then skip (or fail with REQUIRE_SERVICES=1).
set -euo pipefail

declare -A binary_of=([nginx]=/usr/sbin/nginx [chromium]=/usr/bin/chromium [wrk]=/usr/bin/wrk)
missing=()
for package in "${!binary_of[@]}"; do
    [ -x "${binary_of[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-packages: missing ${missing[*]} (install them with apt-get as root); tests that need them will skip." >&2
    exit 0
fi
echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# nginx's package starts a server on port 80 on some images; the tests start their own.
if command -v nginx >/dev/null && [ -f /run/nginx.pid ]; then nginx -s stop 2>/dev/null || true; fi
