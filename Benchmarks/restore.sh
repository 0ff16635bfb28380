#!/usr/bin/env bash
# File restore benchmark (issue 16): `backup restore` of a full backup of the 1 GiB tree from local storage
# against `zstd -dc ARTIFACT | tar -xf -` of the very same stored artifact, alternating in one run.
# Reports median wall times, the throughput ratio (baseline time / our time; above 1.0 means faster than the
# plain tools) and peak resident memory (`/usr/bin/time -v`).
#
#   bash Benchmarks/restore.sh [DATA_DIR] [RUNS]
#   OTHER_BACKUP=/path/to/another/backup bash Benchmarks/restore.sh   # also time another build (before/after)
#   BACKUP_BIN=/path/to/backup bash Benchmarks/restore.sh             # time this binary instead of building one
#
# DATA_DIR defaults to Benchmarks/data (git-ignored); the tree is generated once (Benchmarks/make-tree.py).
# Both sides read the artifact from the page cache and write into the same file system.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-Benchmarks/data}
RUNS=${2:-5}
TREE="$DATA/tree"
STORE="$DATA/restore-store"
# Restores write into tmpfs by default: on the 2-core VM this was written on, ext4 writes are throttled
# so hard that the same `tar -x` took 7.5 s, 20 s and 34 s in a row — a restore into it measures the disk.
# OUT_DIR=/some/disk/folder measures a disk instead.
OUT=${OUT_DIR:-/dev/shm/backupkit-restore-bench}
mkdir -p "$DATA"
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh

command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
command -v zstd >/dev/null || { apt-get install -y -qq zstd >/dev/null; }
if [ ! -f "$DATA/.generated-v2" ]; then
    echo "generating a 1 GiB tree of about 20,000 files in $TREE ..."
    rm -rf "$TREE"
    python3 Benchmarks/make-tree.py "$TREE"
    touch "$DATA/.generated-v2"
fi
BACKUP=$(backup_binary)

cat > "$DATA/restore-bench.yaml" <<YAML
plan: restore-bench
catalog: $PWD/$STORE/catalog.sqlite
storage: {type: local, path: $PWD/$STORE}
sources:
  - {name: tree, type: files, paths: [$PWD/$TREE]}
compression: {algorithm: zstd, level: 3}
YAML

# The other build may be older and refuse a catalog the newer one migrated: it gets its own copy, taken
# before the newer build opens the catalog (so the backup is made by the other build when there is one).
sed "s#catalog.sqlite#catalog-other.sqlite#" "$DATA/restore-bench.yaml" > "$DATA/restore-bench-other.yaml"
if [ ! -f "$STORE/.backed-up" ]; then
    rm -rf "$STORE"
    "${OTHER_BACKUP:-$BACKUP}" run --plan "$DATA/restore-bench.yaml" --full --no-prune >/dev/null
    cp "$STORE/catalog.sqlite" "$STORE/catalog-other.sqlite"
    touch "$STORE/.backed-up"
fi
ID=$("$BACKUP" list --plan "$DATA/restore-bench.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
ARTIFACT=$(find "$STORE" -name '*.tar.zst' -type f | head -1)
[ -n "$ARTIFACT" ] || { echo "no .tar.zst artifact in $STORE" >&2; exit 1; }

fresh() { rm -rf "$OUT"; mkdir -p "$OUT"; sync; }

cat "$ARTIFACT" >/dev/null # warm the page cache
: > "$DATA/restore-baseline.txt"; : > "$DATA/restore-ours.txt"; : > "$DATA/restore-other.txt"
for run in $(seq "$RUNS"); do
    fresh
    measure bash -c "zstd -dc '$ARTIFACT' | tar -xf - -C '$OUT'" >> "$DATA/restore-baseline.txt"
    fresh
    measure "$BACKUP" restore --plan "$DATA/restore-bench.yaml" "$ID" --to "$OUT" >> "$DATA/restore-ours.txt"
    if [ -n "${OTHER_BACKUP:-}" ]; then
        fresh
        measure "$OTHER_BACKUP" restore --plan "$DATA/restore-bench-other.yaml" "$ID" --to "$OUT" >> "$DATA/restore-other.txt"
    fi
done
diff -rq "$TREE" "$OUT/tree" >/dev/null || { echo "the last restore differs from the tree" >&2; exit 1; }
rm -rf "$OUT"

base=$(cut -d' ' -f1 "$DATA/restore-baseline.txt" | median)
base_rss=$(cut -d' ' -f2 "$DATA/restore-baseline.txt" | sort -g | tail -1)
ours=$(cut -d' ' -f1 "$DATA/restore-ours.txt" | median)
ours_rss=$(cut -d' ' -f2 "$DATA/restore-ours.txt" | sort -g | tail -1)
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "tree: $(find "$TREE" -type f | wc -l) files, $(($(du -sb "$TREE" | cut -f1) / 1048576)) MiB; artifact $(($(stat -c %s "$ARTIFACT") / 1048576)) MiB"
echo "runs: $RUNS, alternating; times: baseline $(cut -d' ' -f1 "$DATA/restore-baseline.txt" | tr '\n' ' ')| ours $(cut -d' ' -f1 "$DATA/restore-ours.txt" | tr '\n' ' ')"
printf 'file restore: zstd -dc | tar -x %.2fs  ours %.2fs  throughput ratio %.2fx\n' "$base" "$ours" "$(echo "$base / $ours" | bc -l)"
printf 'peak RSS: ours %d MiB (zstd -dc | tar -x: %d MiB for the larger process tree)\n' "$((ours_rss / 1024))" "$((base_rss / 1024))"
if [ -n "${OTHER_BACKUP:-}" ]; then
    other=$(cut -d' ' -f1 "$DATA/restore-other.txt" | median)
    other_rss=$(cut -d' ' -f2 "$DATA/restore-other.txt" | sort -g | tail -1)
    printf 'other build (%s): %.2fs, ratio %.2fx, peak RSS %d MiB\n' "$OTHER_BACKUP" "$other" "$(echo "$base / $other" | bc -l)" "$((other_rss / 1024))"
fi
