#!/usr/bin/env bash
# Catalog rebuild benchmark (issue 18): `backup catalog rebuild` over 10,000 backups in SeaweedFS S3,
# against a baseline in the same run on the same machine: `aws s3 ls --recursive` of the plan's prefix plus
# `aws s3 sync` of every manifest (awscli, 10 concurrent requests by default). Reports median wall times and
# the ratio (baseline time / rebuild time; above 1.0 means the rebuild is faster than just fetching the
# manifests with awscli).
#
#   bash Benchmarks/rebuild.sh [COUNT] [RUNS] [BACKUP_BINARY]
#
# How the 10,000 backups are made: `backup run` (the library's own code path) takes SEED real backups of a
# tiny files source into the bucket; Benchmarks/make-rebuild-set.py then copies their artifacts and
# manifests under new ids, labels and keys (one full backup a minute, same bytes, so sizes and SHA-256 stay
# true) until COUNT backups exist. Every rebuild starts from an empty catalog and must add COUNT records.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-10000}
RUNS=${2:-3}
BACKUP=${3:-.build/debug/backup}
SEED=5
WORK=$(mktemp -d /tmp/backupkit-rebuild-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

command -v aws >/dev/null || pip install --quiet awscli 2>/dev/null || pip install --quiet --break-system-packages awscli
python3 -c 'import boto3' 2>/dev/null || pip install --quiet boto3 2>/dev/null || pip install --quiet --break-system-packages boto3
[ -x "$BACKUP" ] || swift build --product backup >/dev/null

bash scripts/services/seaweedfs.sh >/dev/null
# shellcheck disable=SC1091
. "${BACKUPKIT_SERVICES:-/tmp/backupkit-services}/seaweedfs.env"
# The keys reach the tools through the environment, never through argv.
export AWS_ACCESS_KEY_ID=$BACKUPKIT_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPKIT_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
export BENCH_S3_ACCESS=$BACKUPKIT_S3_ACCESS_KEY BENCH_S3_SECRET=$BACKUPKIT_S3_SECRET_KEY
ENDPOINT=$BACKUPKIT_S3_ENDPOINT
BUCKET=bench-rebuild-$(date +%s)
aws --endpoint-url "$ENDPOINT" s3 mb "s3://$BUCKET" >/dev/null

mkdir -p "$WORK/src"
echo "a small file" >"$WORK/src/a.txt"
cat >"$WORK/plan.yaml" <<PLAN
plan: bench
catalog: $WORK/catalog.sqlite
storage: {type: s3, endpoint: "$ENDPOINT", region: us-east-1, bucket: $BUCKET, path_style: true,
          access_key_env: BENCH_S3_ACCESS, secret_key_env: BENCH_S3_SECRET}
sources:
  - {name: files, type: files, paths: [$WORK/src]}
naming: "{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}"
PLAN

echo "taking $SEED seed backups with backup run ..."
for i in $(seq "$SEED"); do
    "$BACKUP" run --plan "$WORK/plan.yaml" --full --time "2020-01-01T00:0$i:00Z" >/dev/null
done
echo "copying them to $COUNT backups ..."
python3 Benchmarks/make-rebuild-set.py "$ENDPOINT" "$BUCKET" bench/ "$COUNT"

DATA=$WORK
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh

: >"$WORK/base.txt"
: >"$WORK/ours.txt"
for run in $(seq "$RUNS"); do
    rm -rf "$WORK/manifests"
    measure sh -c "aws --endpoint-url '$ENDPOINT' s3 ls --recursive 's3://$BUCKET/bench/' >'$WORK/listing.txt' &&
        aws --endpoint-url '$ENDPOINT' s3 sync --quiet --exclude '*' --include '*.manifest.json' 's3://$BUCKET/bench/' '$WORK/manifests'" \
        >>"$WORK/base.txt"
    fetched=$(find "$WORK/manifests" -name '*.manifest.json' | wc -l)
    [ "$fetched" = "$COUNT" ] || { echo "baseline fetched $fetched manifests, expected $COUNT" >&2; exit 1; }
    rm -f "$WORK/catalog.sqlite" "$WORK/catalog.sqlite-wal" "$WORK/catalog.sqlite-shm"
    measure "$BACKUP" catalog rebuild --plan "$WORK/plan.yaml" --json >>"$WORK/ours.txt"
    added=$("$BACKUP" list --plan "$WORK/plan.yaml" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$added" = "$COUNT" ] || { echo "rebuild left $added records, expected $COUNT" >&2; exit 1; }
    echo "run $run done"
done

base=$(cut -d' ' -f1 "$WORK/base.txt" | median)
ours=$(cut -d' ' -f1 "$WORK/ours.txt" | median)
ours_rss=$(cut -d' ' -f2 "$WORK/ours.txt" | sort -g | tail -1)
printf 'rebuild of %d backups from S3: aws s3 ls + sync of the manifests %.2fs  backup catalog rebuild %.2fs  ratio %.2fx  (rebuild peak RSS %d MiB)\n' \
    "$COUNT" "$base" "$ours" "$(echo "$base / $ours" | bc -l)" "$((ours_rss / 1024))"

aws --endpoint-url "$ENDPOINT" s3 rb --force "s3://$BUCKET" >/dev/null
