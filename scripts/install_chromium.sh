#!/usr/bin/env bash
# Make Debian's headless-capable `chromium` available for the UI check (platform_tests/ui/).
#
# Idempotent and fast when present: if a Chromium binary is already on PATH (or named by
# LAKEHOUSE_CHROMIUM), nothing is installed. Otherwise, as root with apt-get, installs the
# `chromium` package (no recommends). Without root or apt it exits 0 with a note: the UI test then
# skips with the reason, which is the only case in which it may skip.
# Prints the path of the binary on stdout when one is available.
set -euo pipefail

log() { printf '[install-chromium] %s\n' "$*" >&2; }

find_chromium() {
    local candidate
    if [ -n "${LAKEHOUSE_CHROMIUM:-}" ] && [ -x "$LAKEHOUSE_CHROMIUM" ]; then
        printf '%s\n' "$LAKEHOUSE_CHROMIUM"
        return 0
    fi
    for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if path="$(find_chromium)"; then
    log "present: $path"
    printf '%s\n' "$path"
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    # Not an error: the test reports "chromium absent and not installable" as its skip reason.
    log "chromium is not installed and cannot be installed here (needs root and apt-get)."
    log "Install it yourself (e.g. 'sudo apt-get install chromium') to run the UI check."
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -qq >/dev/null
log "apt-get install chromium (a few minutes the first time)"
err="$(mktemp)"
if ! apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>"$err"; then
    cat "$err" >&2
    rm -f "$err"
    log "apt-get install chromium failed"
    exit 1
fi
rm -f "$err"

path="$(find_chromium)" || {
    log "chromium was installed but no binary is on PATH"
    exit 1
}
log "installed: $path"
printf '%s\n' "$path"
