#!/usr/bin/env bash
# The test command (README): installs what the tests need on a fresh machine, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: libzstd-dev (zstd codec), zstd/gzip/tar/sqlite3 (interoperability tests), pkg-config.
needed=(libzstd-dev zstd gzip tar pkg-config sqlite3 libsqlite3-dev zlib1g-dev)
missing=()
for package in "${needed[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Python's cryptography package decrypts our encrypted format independently in a test.
python3 -c 'import cryptography' 2>/dev/null || pip install --quiet cryptography

# Servers the integration suites talk to, on 127.0.0.1: SeaweedFS (S3), nginx with WebDAV, MariaDB.
# Each script installs what is missing, starts its server unless it already answers, and writes the
# addresses and credentials the tests read to $BACKUPKIT_SERVICES/<name>.env.
# BACKUPKIT_SKIP_SERVICES=1 skips them: those suites then print why they did not run.
export BACKUPKIT_SERVICES="${BACKUPKIT_SERVICES:-/tmp/backupkit-services}"
if [[ "${BACKUPKIT_SKIP_SERVICES:-0}" != 1 ]]; then
    for service in seaweedfs nginx-dav mariadb mariadb-misconfigured postgresql; do
        bash "scripts/services/$service.sh"
        # shellcheck disable=SC1090
        source "$BACKUPKIT_SERVICES/$service.env"
    done
fi

# The official Elasticsearch/OpenSearch REST spec and published responses the SnapshotClient contract tests
# read: ../shared/es-rest-api beside the repository (or ES_REST_API_DIR). Without them those suites say why
# they did not run.
if [[ -z "${ES_REST_API_DIR:-}" ]]; then
    for candidate in ../shared/es-rest-api ../../shared/es-rest-api /work/shared/es-rest-api; do
        if [[ -d "$candidate/spec" ]]; then
            ES_REST_API_DIR="$(cd "$candidate" && pwd)"
            export ES_REST_API_DIR
            break
        fi
    done
fi

# Formatting is part of the build's hygiene (configuration in .swift-format).
swift format lint --strict --recursive Sources Tests Examples Fuzz/Harness Benchmarks/Sources Package.swift

# The module graph the architecture document promises (no zstd or YAML for an archive-only host, …).
swift package describe --type json | python3 scripts/check-architecture.py

swift build --build-tests
swift test --skip-build

# Every fuzz target briefly (CONTRIBUTING.md, "Fuzzing"): a separate sanitized build in .build/fuzz, then
# BACKUPKIT_FUZZ_SECONDS (default 5) per target. The corpora and regression inputs also ran above, unsanitized,
# in FuzzRegressionTests. BACKUPKIT_SKIP_FUZZ=1 leaves the fuzzing out.
if [[ "${BACKUPKIT_SKIP_FUZZ:-0}" == 1 ]]; then
    echo "fuzz: skipped (BACKUPKIT_SKIP_FUZZ=1); the corpora were still replayed by FuzzRegressionTests"
else
    bash scripts/fuzz.sh all "${BACKUPKIT_FUZZ_SECONDS:-5}"
fi
