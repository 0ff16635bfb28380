#!/usr/bin/env bash
# Memory per file and manifest size (issue 16): a full backup of a tree of COUNT small files (default
# 300,000, ~300 MiB), an incremental after 1 % of the files changed, and a restore of that incremental (the
# chain) into tmpfs, with wall time, peak resident memory (`/usr/bin/time -v`) and the bytes each backup
# stored beside its data (manifest, file index).
#
#   bash Benchmarks/many-files.sh [DATA_DIR] [COUNT]
#   OTHER_BACKUP=/path/to/another/backup bash Benchmarks/many-files.sh   # the same steps with another build first
#   BACKUP_BIN=/path/to/backup bash Benchmarks/many-files.sh             # this binary instead of building one
#
# The tree is generated once per COUNT under DATA_DIR (default Benchmarks/data, git-ignored); each build gets
# its own store and catalog, and the changed files are restored to their first content before each build runs.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-Benchmarks/data}
COUNT=${2:-300000}
TREE="$DATA/many-$COUNT"
mkdir -p "$DATA"
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
if [ ! -f "$TREE/.generated" ]; then
    echo "generating $COUNT small files in $TREE ..."
    rm -rf "$TREE"
    python3 Benchmarks/make-many.py "$TREE/tree" "$COUNT"
    touch "$TREE/.generated"
fi
BACKUP=$(backup_binary)


# The 1 % of files an incremental finds changed: every 100th file gets one more line (undone by `restore_tree`).
changed_files() { find "$TREE/tree" -name 'log-*.txt' | sort | awk 'NR % 100 == 0'; }
restore_tree() { changed_files | while read -r f; do truncate -s "$(($(stat -c %s "$f") - 13))" "$f" 2>/dev/null || true; done; }
change_tree() { changed_files | while read -r f; do printf 'changed line\n' >> "$f"; done; }

# run NAME BINARY: full, change, incremental; prints one result line.
run() {
    local name=$1 binary=$2 store="$PWD/$TREE/store-$1"
    rm -rf "$store"
    cat > "$TREE/$name.yaml" <<YAML
plan: many
catalog: $store/catalog.sqlite
storage: {type: local, path: $store}
sources:
  - {name: logs, type: files, paths: [$PWD/$TREE/tree]}
compression: {algorithm: zstd, level: 3}
YAML
    local full incremental
    full=$(measure "$binary" run --plan "$TREE/$name.yaml" --full --no-prune)
    change_tree
    incremental=$(measure "$binary" run --plan "$TREE/$name.yaml" --incremental --no-prune)
    local id out=/dev/shm/backupkit-many-restore restored
    id=$("$binary" list --plan "$TREE/$name.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
    rm -rf "$out"
    restored=$(measure "$binary" restore --plan "$TREE/$name.yaml" "$id" --to "$out")
    diff -rq "$TREE/tree" "$out/tree" >/dev/null || { echo "$name: the restore differs from the tree" >&2; exit 1; }
    rm -rf "$out"
    restore_tree
    local sizes
    sizes=$(find "$store" -type f ! -name '*.sqlite*' -printf '%s %f\n' | sort -k2 | awk '
        /manifest/ { m[++mi] = $1 } /index/ { x[++xi] = $1 } /\.tar/ && !/manifest|index/ { d[++di] = $1 }
        END { printf "data %.1f/%.1f MB, manifest %.1f/%.1f kB, index %.2f/%.2f MB", d[1]/1e6, d[2]/1e6, m[1]/1e3, m[2]/1e3, x[1]/1e6, x[2]/1e6 }')
    printf '%-6s full %5.2f s %4d MiB | incremental (1 %% changed) %5.2f s %4d MiB (%.0f %% of the full) | restore %5.2f s %4d MiB | %s\n' \
        "$name" "${full% *}" "$((${full#* } / 1024))" "${incremental% *}" "$((${incremental#* } / 1024))" \
        "$(echo "100 * ${incremental% *} / ${full% *}" | bc -l)" "${restored% *}" "$((${restored#* } / 1024))" "$sizes"
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "tree: $(find "$TREE/tree" -type f | wc -l) files, $(($(du -sb "$TREE/tree" | cut -f1) / 1048576)) MiB (full/incremental below)"
if [ -n "${OTHER_BACKUP:-}" ]; then run other "$OTHER_BACKUP"; fi
run ours "$BACKUP"
for name in ours other; do rm -rf "$TREE/store-$name"; done
