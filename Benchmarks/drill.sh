#!/usr/bin/env bash
# Drill benchmark (issue 13): a restore drill of a 1 GiB file backup against a plain restore of it
# (ratio drill / restore), and rolling verification at 10% against a full verify of 20 backups.
#
#   bash Benchmarks/drill.sh [DATA_DIR] [RUNS]        # BUILD=release for a release build (default: debug)
#
# DATA_DIR defaults to Benchmarks/data/drill (git-ignored). Prints median wall times of RUNS alternating rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-Benchmarks/data/drill}
RUNS=${2:-3}
BUILD=${BUILD:-debug}
mkdir -p "$DATA/src" "$DATA/small"
DATA=$(cd "$DATA" && pwd)
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }

if [ ! -f "$DATA/.generated-v1" ]; then
    echo "generating a 1 GiB file (half random, half text-like) and a 50 MiB one ..."
    python3 - "$DATA" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(13)
words = b"timestamp level info warn error collector index shard replica snapshot nginx access upstream".split()
text = b"\n".join(b" ".join(random.choice(words) for _ in range(12)) for _ in range(40000))
with open(os.path.join(root, "src", "big.dat"), "wb") as f:
    written = 0
    while written < (1 << 30):
        piece = os.urandom(1 << 20) if (written >> 20) % 2 else (text * 4)[: 1 << 20]
        f.write(piece)
        written += len(piece)
with open(os.path.join(root, "small", "small.dat"), "wb") as f:
    f.write(os.urandom(25 << 20) + (text * 50)[: 25 << 20])
PY
    touch "$DATA/.generated-v1"
fi

if [ "$BUILD" = release ]; then
    swift build -c release --product backup >/dev/null
    BACKUP=$(swift build -c release --show-bin-path)/backup
else
    BACKUP=$(swift build --show-bin-path)/backup
    [ -x "$BACKUP" ] || swift build --product backup >/dev/null
fi

cat > "$DATA/big.yaml" <<YAML
plan: drillbench
catalog: $DATA/store/catalog.sqlite
storage: {type: local, path: $DATA/store}
sources: [{name: big, type: files, paths: [$DATA/src]}]
compression: {algorithm: zstd, level: 3}
drill: {sample: 0, scratch_dir: $DATA/scratch}
YAML
cat > "$DATA/small.yaml" <<YAML
plan: verifybench
catalog: $DATA/vstore/catalog.sqlite
storage: {type: local, path: $DATA/vstore}
sources: [{name: small, type: files, paths: [$DATA/small]}]
compression: {algorithm: zstd, level: 3}
YAML

if [ ! -f "$DATA/store/catalog.sqlite" ]; then
    "$BACKUP" run --plan "$DATA/big.yaml" --full >/dev/null
fi
if [ ! -f "$DATA/vstore/catalog.sqlite" ]; then
    for i in $(seq -w 1 20); do
        "$BACKUP" run --plan "$DATA/small.yaml" --full --time "2026-11-01T00:${i}:00Z" >/dev/null
    done
fi
ID=$("$BACKUP" list --plan "$DATA/big.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')

# Each command is timed with a sync after it (the restored data on disk, or the drill's scratch copy gone),
# starting after a sync, so one command's writeback does not land in the next one's time. Exit status checked.
seconds() {
    sync
    /usr/bin/time -f %e -o "$DATA/.time" sh -c '"$@" >/dev/null && sync' sh "$@" || { echo "failed: $*" >&2; exit 1; }
    cat "$DATA/.time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$DATA/restore.times"; : >"$DATA/drill.times"; : >"$DATA/full.times"; : >"$DATA/rolling.times"
for round in $(seq "$RUNS"); do
    # Alternate which goes first: the page cache and writeback favour the second.
    if [ $((round % 2)) = 1 ]; then
        seconds "$BACKUP" restore --plan "$DATA/big.yaml" "$ID" --to "$DATA/out" >>"$DATA/restore.times"
        rm -rf "$DATA/out"
        seconds "$BACKUP" drill --plan "$DATA/big.yaml" --sample 0 >>"$DATA/drill.times"
    else
        seconds "$BACKUP" drill --plan "$DATA/big.yaml" --sample 0 >>"$DATA/drill.times"
        seconds "$BACKUP" restore --plan "$DATA/big.yaml" "$ID" --to "$DATA/out" >>"$DATA/restore.times"
        rm -rf "$DATA/out"
    fi
    seconds "$BACKUP" verify --plan "$DATA/small.yaml" --all >>"$DATA/full.times"
    seconds "$BACKUP" verify --plan "$DATA/small.yaml" --sample 10 >>"$DATA/rolling.times"
done
restore=$(median <"$DATA/restore.times"); drill=$(median <"$DATA/drill.times")
full=$(median <"$DATA/full.times"); rolling=$(median <"$DATA/rolling.times")
echo "build: $BUILD, runs: $RUNS"
echo "restore of the 1 GiB backup: ${restore} s; drill of it: ${drill} s; drill / restore = $(python3 -c "print(round($drill / $restore, 2))")"
echo "verify --all of 20 backups: ${full} s; verify --sample 10: ${rolling} s; rolling / full = $(python3 -c "print(round($rolling / $full, 3))")"
