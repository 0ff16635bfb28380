#!/usr/bin/env bash
# S3 benchmark (issues 4 and 16), alternating in the same run against `aws s3 cp --endpoint-url` on SeaweedFS:
#   storage: upload and download a 1 GiB file with S3Storage alone (bench-s3, release build);
#   backup:  `backup run --full` of a folder holding that file (plan: S3 storage, no compression) against
#            `aws s3 cp` of the file up;
#   restore: `backup restore --to DIR` of that backup (artifact size and SHA-256, the file's size and SHA-256
#            checked, staging folder renamed into place) against `aws s3 cp` of the stored artifact down.
# Reports median wall times, the throughput ratio (awscli time / our time; above 1.0 means faster than awscli)
# and peak resident memory.
#
#   bash Benchmarks/s3.sh [DATA_DIR] [RUNS]
#
# DATA_DIR defaults to Benchmarks/data (git-ignored); the 1 GiB file of random bytes is generated once.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-Benchmarks/data}/s3
RUNS=${2:-3}
mkdir -p "$DATA"

command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
command -v aws >/dev/null || pip install --quiet awscli 2>/dev/null || pip install --quiet --break-system-packages awscli

bash scripts/services/seaweedfs.sh >/dev/null
# shellcheck disable=SC1091
. "${BACKUPKIT_SERVICES:-/tmp/backupkit-services}/seaweedfs.env"
# The keys reach both tools through the environment, never through argv.
export AWS_ACCESS_KEY_ID=$BACKUPKIT_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUPKIT_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
ENDPOINT=$BACKUPKIT_S3_ENDPOINT
BUCKET=bench-s3
aws --endpoint-url "$ENDPOINT" s3 mb "s3://$BUCKET" >/dev/null 2>&1 || true

FILE="$DATA/source-1g.bin"
if [ ! -f "$FILE" ] || [ "$(stat -c %s "$FILE")" != 1073741824 ]; then
    echo "generating $FILE ..."
    head -c 1073741824 /dev/urandom >"$FILE"
fi

echo "building bench-s3 in release mode ..."
SCRATCH=${SCRATCH:-Benchmarks/.build}
swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product bench-s3 >/dev/null
BENCH=$(swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --show-bin-path)/bench-s3

# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh
BIN=$(backup_binary)

# The backup's plan: the folder holding the 1 GiB file, to the same SeaweedFS, uncompressed (random bytes).
mkdir -p "$DATA/tree"
ln -f "$FILE" "$DATA/tree/source-1g.bin"
rm -rf "$DATA/store"
cat >"$DATA/plan.yaml" <<YAML
plan: s3bench
catalog: $PWD/$DATA/store/catalog.sqlite
storage: {type: s3, endpoint: "$ENDPOINT", region: us-east-1, bucket: $BUCKET, prefix: plan/, path_style: true,
          access_key_env: AWS_ACCESS_KEY_ID, secret_key_env: AWS_SECRET_ACCESS_KEY}
sources:
  - {name: data, type: files, paths: [$PWD/$DATA/tree]}
compression: {algorithm: none}
YAML

for name in aws-up ours-up aws-down ours-down aws-backup ours-backup aws-restore ours-restore; do : >"$DATA/$name.txt"; done
for run in $(seq "$RUNS"); do
    measure aws --endpoint-url "$ENDPOINT" s3 cp --quiet "$FILE" "s3://$BUCKET/aws.bin" >>"$DATA/aws-up.txt"
    measure "$BENCH" upload "$ENDPOINT" "$BUCKET" ours.bin "$FILE" >>"$DATA/ours-up.txt"
    rm -f "$DATA/aws-down.bin" "$DATA/ours-down.bin"
    measure aws --endpoint-url "$ENDPOINT" s3 cp --quiet "s3://$BUCKET/aws.bin" "$DATA/aws-down.bin" >>"$DATA/aws-down.txt"
    measure "$BENCH" download "$ENDPOINT" "$BUCKET" ours.bin "$DATA/ours-down.bin" >>"$DATA/ours-down.txt"
    cmp "$FILE" "$DATA/ours-down.bin"
    cmp "$FILE" "$DATA/aws-down.bin"
    rm -f "$DATA/aws-down.bin" "$DATA/ours-down.bin"

    measure aws --endpoint-url "$ENDPOINT" s3 cp --quiet "$FILE" "s3://$BUCKET/aws-backup.bin" >>"$DATA/aws-backup.txt"
    measure "$BIN" run --plan "$DATA/plan.yaml" --full --no-prune >>"$DATA/ours-backup.txt"
    latest=$("$BIN" list --plan "$DATA/plan.yaml" --json | python3 -c 'import json,sys; r=json.load(sys.stdin)[-1]; print(r["id"], [a["key"] for a in r["artifacts"] if a["role"] == "data"][0])')
    read -r id key <<<"$latest"
    rm -rf "$DATA/aws-restore.bin" "$DATA/restored"
    measure aws --endpoint-url "$ENDPOINT" s3 cp --quiet "s3://$BUCKET/plan/$key" "$DATA/aws-restore.bin" >>"$DATA/aws-restore.txt"
    measure "$BIN" restore --plan "$DATA/plan.yaml" "$id" --to "$DATA/restored" >>"$DATA/ours-restore.txt"
    cmp "$FILE" "$DATA/restored/tree/source-1g.bin"
    rm -rf "$DATA/aws-restore.bin" "$DATA/restored"
    echo "run $run done"
done

report() { # label, baseline file, ours file
    local base ours base_rss ours_rss
    base=$(cut -d' ' -f1 "$2" | median); ours=$(cut -d' ' -f1 "$3" | median)
    base_rss=$(cut -d' ' -f2 "$2" | sort -g | tail -1); ours_rss=$(cut -d' ' -f2 "$3" | sort -g | tail -1)
    printf '%-9s 1 GiB: awscli %.2fs  ours %.2fs  throughput ratio %.2fx (ours %.0f MiB/s)  peak RSS: awscli %d MiB, ours %d MiB\n' \
        "$1" "$base" "$ours" "$(echo "$base / $ours" | bc -l)" "$(echo "1024 / $ours" | bc -l)" \
        "$((base_rss / 1024))" "$((ours_rss / 1024))"
}
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $RUNS runs, medians"
echo "awscli: $(aws --version 2>&1)"
report upload "$DATA/aws-up.txt" "$DATA/ours-up.txt"
report download "$DATA/aws-down.txt" "$DATA/ours-down.txt"
report backup "$DATA/aws-backup.txt" "$DATA/ours-backup.txt"
report restore "$DATA/aws-restore.txt" "$DATA/ours-restore.txt"
