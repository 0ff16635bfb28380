#!/usr/bin/env bash
# MySQL benchmark (issue 5): two tables of 1,000,000 rows each. In one run:
#   backup:  `backup run --full` (release build)  vs  `mariadb-dump --single-transaction … | zstd -3 > FILE`
#   restore: `backup restore --to-mysql …`         vs  `zstd -dc FILE | mariadb`
# each for a single-stream plan and for a `parallel: $PARALLEL` plan (PARALLEL defaults to the core count).
# into a second, private server. Reports wall times, the ratio (baseline time / our time; ≥ 0.9 is the
# target) and peak resident memory (/usr/bin/time -v, largest process of the command's tree).
#
#   bash Benchmarks/mysql.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1}
PARALLEL=${PARALLEL:-$(nproc)}
SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}

command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
command -v zstd >/dev/null || { apt-get install -y -qq zstd >/dev/null; }
bash scripts/services/mariadb.sh >/dev/null
# shellcheck disable=SC1091
. "$SERVICES/mariadb.env"
# shellcheck source=Benchmarks/lib.sh
. Benchmarks/lib.sh
BIN=$(backup_binary)

WORK=$(mktemp -d /tmp/backupkit-mysql-bench-XXXXXX)
TARGET_PORT=13317
cleanup() {
    if [ -f "$WORK/target.pid" ]; then kill "$(cat "$WORK/target.pid")" 2>/dev/null || true; fi
    sleep 1
    rm -rf "$WORK"
}
trap cleanup EXIT

ROOT=(mariadb --no-defaults "--socket=$BACKUPKIT_MYSQL_SOCKET" --user=root)
echo "creating bench.a and bench.b (1,000,000 rows each) ..."
"${ROOT[@]}" <<'SQL'
DROP DATABASE IF EXISTS bench;
CREATE DATABASE bench;
USE bench;
CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2), created DATETIME, note CHAR(32));
INSERT INTO a SELECT seq, CONCAT('name-', seq), seq / 7, '2026-01-01' + INTERVAL seq SECOND, MD5(seq) FROM seq_1_to_1000000;
CREATE TABLE b LIKE a;
INSERT INTO b SELECT * FROM a;
SQL

# A private restore target.
mariadb-install-db --no-defaults --datadir="$WORK/target" --user=root --auth-root-authentication-method=socket \
    --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$WORK/target" --port=$TARGET_PORT --bind-address=127.0.0.1 --socket="$WORK/target.sock" \
    --pid-file="$WORK/target.server.pid" --user=root --innodb-buffer-pool-size=512M --log-error="$WORK/target.err" &
echo $! >"$WORK/target.pid"
for _ in $(seq 1 120); do mariadb-admin --no-defaults --socket="$WORK/target.sock" --user=root ping >/dev/null 2>&1 && break; sleep 0.5; done
TARGET_PASSWORD="bench$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mariadb --no-defaults --socket="$WORK/target.sock" --user=root <<SQL
CREATE USER 'bkadmin'@'127.0.0.1' IDENTIFIED BY '$TARGET_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'bkadmin'@'127.0.0.1';
SQL

umask 077
printf '[client]\npassword="%s"\n' "$BACKUPKIT_MYSQL_PASSWORD" >"$WORK/source.cnf"
printf '[client]\npassword="%s"\n' "$TARGET_PASSWORD" >"$WORK/target.cnf"
cat >"$WORK/plan.yaml" <<YAML
plan: bench
catalog: $WORK/store/catalog.sqlite
storage: {type: local, path: $WORK/store}
sources:
  - {name: meta, type: mysql, host: 127.0.0.1, port: $BACKUPKIT_MYSQL_PORT, user: $BACKUPKIT_MYSQL_USER,
     password_env: BACKUPKIT_MYSQL_PASSWORD, databases: [bench]}
compression: {algorithm: zstd, level: 3}
YAML
sed -e "s|$WORK/store|$WORK/store-par|g" -e "s|databases: \[bench\]}|databases: [bench], parallel: $PARALLEL}|" \
    "$WORK/plan.yaml" >"$WORK/plan-par.yaml"

# measure NAME COMMAND… → "seconds peak_kib" appended to $WORK/NAME
measure() {
    local name=$1
    shift
    /usr/bin/time -v "$@" 2>"$WORK/time.txt" >/dev/null || { cat "$WORK/time.txt" >&2; exit 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}' | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    echo "$wall $rss" >>"$WORK/$name"
}

# Drops the restored database and waits until the target has written every dirty page (at most 120 s): otherwise
# the restore measured next pays for flushing the previous one's pages in the background, and the order of the
# commands, not the tools, decides the ratio.
drop_target() {
    local target=(mariadb --no-defaults "--socket=$WORK/target.sock" --user=root --batch --skip-column-names)
    "${target[@]}" -e "DROP DATABASE IF EXISTS bench; SET GLOBAL innodb_max_dirty_pages_pct = 0"
    for _ in $(seq 1 240); do
        [ "$("${target[@]}" -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{print $2}')" = 0 ] && break
        sleep 0.5
    done
}

for run in $(seq 1 "$RUNS"); do
    echo "run $run/$RUNS"
    measure base_backup bash -c "mariadb-dump --defaults-extra-file=$WORK/source.cnf --host=127.0.0.1 --port=$BACKUPKIT_MYSQL_PORT \
        --user=$BACKUPKIT_MYSQL_USER --protocol=TCP --single-transaction --master-data=2 --routines --triggers --events --hex-blob \
        --quick --databases bench | zstd -3 -q -f -o $WORK/base.sql.zst"
    measure ours_backup "$BIN" run --plan "$WORK/plan.yaml" --full --no-prune
    drop_target
    measure base_restore bash -c "zstd -dc $WORK/base.sql.zst | mariadb --defaults-extra-file=$WORK/target.cnf --host=127.0.0.1 \
        --port=$TARGET_PORT --user=bkadmin --protocol=TCP"
    drop_target
    id=$("$BIN" list --plan "$WORK/plan.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
    measure ours_restore env MYSQL_RESTORE_PASSWORD="$TARGET_PASSWORD" "$BIN" restore --plan "$WORK/plan.yaml" "$id" \
        --to-mysql "mysql://bkadmin@127.0.0.1:$TARGET_PORT"
    drop_target
    measure par_backup "$BIN" run --plan "$WORK/plan-par.yaml" --full --no-prune
    id=$("$BIN" list --plan "$WORK/plan-par.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
    measure par_restore env MYSQL_RESTORE_PASSWORD="$TARGET_PASSWORD" "$BIN" restore --plan "$WORK/plan-par.yaml" "$id" \
        --to-mysql "mysql://bkadmin@127.0.0.1:$TARGET_PORT"
    drop_target
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk "{print \$$2}" "$WORK/$1" | median; }
report() { # report WHAT MODE(ours|par) LABEL
    local what=$1 mode=$2 base ours
    base=$(col "base_$what" 1)
    ours=$(col "${mode}_$what" 1)
    printf '%-8s %-16s baseline %7.2f s (%6d MiB)   backupkit %7.2f s (%6d MiB)   ratio %.2f\n' "$what" "$3" "$base" \
        $(($(col "base_$what" 2 | cut -d. -f1) / 1024)) "$ours" $(($(col "${mode}_$what" 2 | cut -d. -f1) / 1024)) \
        "$(echo "$base / $ours" | bc -l)"
}
echo "sizes: baseline $(stat -c %s "$WORK/base.sql.zst") bytes, backupkit $(find "$WORK/store" -name '*.sql.zst' -printf '%s\n' | tail -1) bytes, parallel $(find "$WORK/store-par" -name '*.tar.zst' -printf '%s\n' | tail -1) bytes"
report backup ours single-stream
report restore ours single-stream
report backup par "parallel: $PARALLEL"
report restore par "parallel: $PARALLEL"
"${ROOT[@]}" -e "DROP DATABASE IF EXISTS bench"
