#!/usr/bin/env bash
# The quickstart (README): installs the system packages the build needs when they are missing, then runs the
# main job on the embedded defaults (backs up Examples/sample to ./backups, catalog included).
#
# Once libzstd-dev and pkg-config are present this is exactly
#   swift run backup run --plan Examples/quickstart.yaml
# and any further arguments are passed on (for example --full or --time 2026-11-25T01:30:00Z).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages of the build: libzstd-dev (the zstd codec; the only one a fresh image usually lacks) and
# pkg-config (how SwiftPM finds it); zlib1g-dev and libsqlite3-dev are checked too, for images without them.
needed=(libzstd-dev pkg-config zlib1g-dev libsqlite3-dev)
if command -v dpkg >/dev/null 2>&1; then
    missing=()
    for package in "${needed[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        as_root() { "$@"; }
        if [[ "$(id -u)" != 0 ]]; then
            if ! command -v sudo >/dev/null 2>&1; then
                echo "error: ${missing[*]} missing, and neither root nor sudo is available to install them" >&2
                exit 1
            fi
            as_root() { sudo "$@"; }
        fi
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
else
    # Not Debian or Ubuntu (macOS, for example): install zstd and pkg-config with the system's package manager.
    echo "note: no dpkg here; make sure zstd (with its headers) and pkg-config are installed" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH; install Swift 6.1 or later (https://www.swift.org/install)" >&2
    exit 1
fi

exec swift run backup run --plan Examples/quickstart.yaml "$@"
