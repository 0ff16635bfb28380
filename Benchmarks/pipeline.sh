#!/usr/bin/env bash
# Pipeline benchmark (issue 3): a full file backup with zstd level 3 against the shell pipeline
# `tar -cf - DIR | zstd -3 | tee OUT | sha256sum`, then an incremental after 1% of the files changed.
# Reports median wall times, the throughput ratio (baseline time / our time) and peak resident memory.
#
#   bash Benchmarks/pipeline.sh [DATA_DIR] [RUNS]
#   BACKUP_BIN=/path/to/backup bash Benchmarks/pipeline.sh   # time this binary instead of building one
#
# DATA_DIR defaults to Benchmarks/data (git-ignored); the 1 GiB tree is generated once.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-Benchmarks/data}
RUNS=${2:-3}
TREE="$DATA/tree"
mkdir -p "$DATA"
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh

command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
command -v zstd >/dev/null || { apt-get install -y -qq zstd >/dev/null; }

if [ ! -f "$DATA/.generated-v2" ]; then
    echo "generating a 1 GiB tree of about 20,000 files in $TREE ..."
    rm -rf "$TREE" "$DATA/store"
    python3 Benchmarks/make-tree.py "$TREE"
    touch "$DATA/.generated-v2"
fi
BACKUP=$(backup_binary)

cat > "$DATA/bench.yaml" <<YAML
plan: bench
catalog: $PWD/$DATA/store/catalog.sqlite
storage: {type: local, path: $PWD/$DATA/store}
sources:
  - {name: tree, type: files, paths: [$PWD/$TREE]}
compression: {algorithm: zstd, level: 3}
YAML


# Warm the page cache so both sides read from memory.
tar -cf - -C "$DATA" tree | cat >/dev/null

: > "$DATA/baseline.txt"; : > "$DATA/baseline-t2.txt"; : > "$DATA/ours.txt"
for run in $(seq "$RUNS"); do
    # The issue's baseline (zstd's default: one compression thread) ...
    measure bash -c "tar -cf - -C '$DATA' tree | zstd -3 -q | tee '$DATA/baseline.tar.zst' | sha256sum" >> "$DATA/baseline.txt"
    # ... and the same with as many zstd workers as we use, for a like-for-like comparison.
    measure bash -c "tar -cf - -C '$DATA' tree | zstd -3 -T$(nproc) -q | tee '$DATA/baseline.tar.zst' | sha256sum" >> "$DATA/baseline-t2.txt"
    rm -rf "$DATA/store"
    measure "$BACKUP" run --plan "$DATA/bench.yaml" --full --no-prune >> "$DATA/ours.txt"
done
base=$(cut -d' ' -f1 "$DATA/baseline.txt" | median)
base2=$(cut -d' ' -f1 "$DATA/baseline-t2.txt" | median)
base2_rss=$(cut -d' ' -f2 "$DATA/baseline-t2.txt" | sort -g | tail -1)
ours=$(cut -d' ' -f1 "$DATA/ours.txt" | median)
ours_rss=$(cut -d' ' -f2 "$DATA/ours.txt" | sort -g | tail -1)
size=$(du -sb "$TREE" | cut -f1)

# Incremental after 1% of the files changed (rewritten with new content).
files=$(find "$TREE" -type f | sort)
count=$(echo "$files" | wc -l)
echo "$files" | awk -v n="$count" 'NR % 100 == 0' | while read -r f; do head -c 4096 /dev/urandom >> "$f"; done
incr=$(measure "$BACKUP" run --plan "$DATA/bench.yaml" --incremental --no-prune)
incr_time=${incr% *}; incr_rss=${incr#* }

echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "tree: $count files, $((size / 1048576)) MiB"
printf 'full backup, zstd -3:  baseline %.2fs  ours %.2fs  throughput ratio %.2fx  (ours %.0f MiB/s)\n' \
    "$base" "$ours" "$(echo "$base / $ours" | bc -l)" "$(echo "$size / 1048576 / $ours" | bc -l)"
printf 'full backup vs zstd -3 -T%d: baseline %.2fs  ours %.2fs  throughput ratio %.2fx\n' \
    "$(nproc)" "$base2" "$ours" "$(echo "$base2 / $ours" | bc -l)"
printf 'peak RSS (full):       ours %d MiB (zstd -T%d alone: %d MiB)\n' "$((ours_rss / 1024))" "$(nproc)" "$((base2_rss / 1024))"
printf 'incremental (1%% changed): %.2fs (%.1f%% of the full backup time), peak RSS %d MiB\n' \
    "$incr_time" "$(echo "100 * $incr_time / $ours" | bc -l)" "$((incr_rss / 1024))"
