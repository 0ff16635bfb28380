#!/usr/bin/env bash
# Fuzzes BackupKit's parsers with libFuzzer (CONTRIBUTING.md, "Fuzzing"):
#
#   bash scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# Builds the backupkit-fuzz harness with -sanitize=fuzzer,address (and -DFUZZING, which hands `main` to
# libFuzzer) into .build/fuzz, so the normal .build/debug is untouched, then runs TARGET (default: every
# target) for SECONDS each (default 60). Each run starts from the committed seeds in Fuzz/Corpus/<target>
# and the past findings in Fuzz/Regressions/<target>; new coverage is kept in .build/fuzz/corpus/<target>
# between runs (never committed). A crash, a hang (an input slower than 10 s), an allocation of more than
# 256 MB at once or an RSS above 2 GB is written to .build/fuzz/findings/<target>/ and fails the script.
# `backupkit-fuzz list` (any build) names the targets.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-all}"
seconds="${2:-60}"
scratch=.build/fuzz
# -Xswiftc -sanitize=fuzzer,address: swift-driver keeps only the last -sanitize= it is given, and SwiftPM passes
# fuzzer and address separately in no fixed order, so Swift code would get coverage or ASan, not both.
# -use-ld=lld: gold warns about every __asan_report_* symbol it cannot export; lld links the same binary quietly.
flags=(--scratch-path "$scratch" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
if command -v ld.lld >/dev/null; then flags+=(-Xswiftc -use-ld=lld); fi

swift build "${flags[@]}" --product backupkit-fuzz
binary="$(swift build "${flags[@]}" --show-bin-path)/backupkit-fuzz"
targets=(tar frame manifest file-index plan cron s3-xml webdav es-response)
if [[ "$target" != all ]]; then
    [[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target '$target' (one of: ${targets[*]})" >&2; exit 2; }
    targets=("$target")
fi

# The published Elasticsearch/OpenSearch response bodies (../shared/es-rest-api, or ES_REST_API_DIR) seed the
# es-response target as well; they are read in place, not copied into the repository.
if [[ -z "${ES_REST_API_DIR:-}" ]]; then
    for candidate in ../shared/es-rest-api ../../shared/es-rest-api /work/shared/es-rest-api; do
        [[ -d "$candidate/responses" ]] && { ES_REST_API_DIR="$(cd "$candidate" && pwd)"; break; }
    done
fi

failed=()
for name in "${targets[@]}"; do
    mkdir -p "$scratch/corpus/$name" "$scratch/findings/$name"
    seeds=("Fuzz/Corpus/$name")
    [[ -d "Fuzz/Regressions/$name" ]] && seeds+=("Fuzz/Regressions/$name")
    [[ "$name" == es-response && -d "${ES_REST_API_DIR:-}/responses" ]] && seeds+=("$ES_REST_API_DIR/responses")
    log="$scratch/findings/$name/last-run.log"
    echo "fuzz: $name for ${seconds}s (seeds: ${seeds[*]})"
    # SWIFT_BACKTRACE=enable=no: libFuzzer reports the crash; Swift's backtracer would wait on a terminal.
    # detect_leaks=0: the Swift runtime's caches look like leaks to LeakSanitizer at exit.
    if BACKUPKIT_FUZZ_TARGET="$name" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1" \
        "$binary" -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/findings/$name/" "$scratch/corpus/$name" "${seeds[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz: $name ok: ${runs:-?} inputs in ${seconds}s (${speed:-?}/s), corpus $(find "$scratch/corpus/$name" -type f | wc -l) files"
    else
        failed+=("$name")
        grep -E "ERROR|SUMMARY|Fatal error|Test unit written|artifact_prefix" "$log" | head -20 || true
        echo "fuzz: $name FAILED: input and log in $scratch/findings/$name/ (replay: $binary FILE with BACKUPKIT_FUZZ_TARGET=$name)"
    fi
done
if ((${#failed[@]})); then
    echo "fuzz: failures in ${failed[*]}: fix the parser, then keep the input as Fuzz/Regressions/<target>/<name>" >&2
    exit 1
fi
