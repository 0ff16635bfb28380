# Helpers the benchmark scripts share; source it after setting DATA (the folder for logs).

# measure COMMAND... → prints "seconds peak_rss_kib" (wall time and maximum resident set size from
# `/usr/bin/time -v`); stops the script, showing the command's stderr, when the command fails.
measure() {
    local log="$DATA/time.log"
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$DATA/stderr.log" || { cat "$DATA/stderr.log"; exit 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
    echo "$wall $rss"
}

# median < numbers, one per line → their median (the mean of the two middle ones for an even count).
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# backup_binary → the path of the `backup` example to time: BACKUP_BIN when set (a build made earlier, e.g. of
# another commit for a before/after comparison), else a release build of this checkout in SCRATCH (default .build).
backup_binary() {
    if [ -n "${BACKUP_BIN:-}" ]; then
        echo "$BACKUP_BIN"
        return
    fi
    echo "building the backup example in release mode ..." >&2
    swift build -c release --scratch-path "${SCRATCH:-.build}" --product backup >/dev/null
    echo "$(swift build -c release --scratch-path "${SCRATCH:-.build}" --show-bin-path)/backup"
}
