#!/usr/bin/env bash
# Starts two more private MariaDB servers on 127.0.0.1, configured the way `backup check` must catch, for the
# preflight tests (Tests/PreflightTests):
#
#   nobinlog     port 13307  binary logging OFF (log_bin fails for incremental: binlog)
#   shortbinlog  port 13308  binary logging on, but STATEMENT format, MINIMAL row images and logs kept
#                            one hour (binlog_retention fails against a daily schedule)
#
# Same tools as mariadb.sh (which installs them), their own datadirs and ports. Idempotent: a server that
# already answers is reused. Writes `export` lines for the tests to $BACKUPKIT_SERVICES/mariadb-misconfigured.env:
#
#   BACKUPKIT_MYSQL_NOBINLOG_HOST / _PORT / _USER / _PASSWORD
#   BACKUPKIT_MYSQL_SHORTBINLOG_HOST / _PORT / _USER / _PASSWORD     (users with the backup grants)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
ENV_FILE="$SERVICES/mariadb-misconfigured.env"
mkdir -p "$SERVICES"

if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mariadb-install-db >/dev/null 2>&1; then
    bash "$(dirname "$0")/mariadb.sh" >/dev/null
fi

# start NAME PORT SERVER-OPTIONS...: starts (or reuses) one server; sets PASSWORD to its backup user's password.
start() {
    local name=$1 port=$2
    shift 2
    local home="$SERVICES/mariadb-$name"
    local data="$home/data" socket="$home/mariadb.sock"
    mkdir -p "$home"
    chmod 700 "$home"
    if [ ! -s "$home/passwords" ]; then
        (umask 077 && echo "BACKUP_PASSWORD=$name$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$home/passwords")
    fi
    # shellcheck disable=SC1091
    . "$home/passwords"
    answers() { mariadb-admin --socket="$socket" --user=root --connect-timeout=2 ping >/dev/null 2>&1; }
    if ! answers; then
        if [ ! -d "$data/mysql" ]; then
            rm -rf "$data"
            mariadb-install-db --datadir="$data" --user=root --auth-root-authentication-method=socket \
                --skip-test-db >"$home/install.log" 2>&1
        fi
        if ! { [ -f "$home/mariadbd.pid" ] && kill -0 "$(cat "$home/mariadbd.pid")" 2>/dev/null; }; then
            nohup mariadbd --no-defaults --datadir="$data" --port="$port" --bind-address=127.0.0.1 \
                --socket="$socket" --pid-file="$home/server.pid" --user=root --log-error="$home/error.log" \
                --innodb-buffer-pool-size=32M "$@" >"$home/mariadbd.out" 2>&1 </dev/null &
            echo $! >"$home/mariadbd.pid"
        fi
    fi
    wait_until mariadb-misconfigured.sh "the $name server did not answer on $socket within 60 s" "$home/error.log" 120 0.5 answers
    mariadb --socket="$socket" --user=root <<SQL
CREATE USER IF NOT EXISTS 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
ALTER USER 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS, BINLOG MONITOR, REPLICATION SLAVE
    ON *.* TO 'backup'@'127.0.0.1';
SQL
    PASSWORD=$BACKUP_PASSWORD
}

start nobinlog 13307 --skip-log-bin --server-id=2
NOBINLOG_PASSWORD=$PASSWORD
start shortbinlog 13308 --log-bin=binlog --server-id=3 --binlog-format=STATEMENT --binlog-row-image=MINIMAL \
    --binlog-expire-logs-seconds=3600
SHORTBINLOG_PASSWORD=$PASSWORD

umask 077
cat >"$ENV_FILE" <<ENV
export BACKUPKIT_MYSQL_NOBINLOG_HOST=127.0.0.1
export BACKUPKIT_MYSQL_NOBINLOG_PORT=13307
export BACKUPKIT_MYSQL_NOBINLOG_USER=backup
export BACKUPKIT_MYSQL_NOBINLOG_PASSWORD=$NOBINLOG_PASSWORD
export BACKUPKIT_MYSQL_SHORTBINLOG_HOST=127.0.0.1
export BACKUPKIT_MYSQL_SHORTBINLOG_PORT=13308
export BACKUPKIT_MYSQL_SHORTBINLOG_USER=backup
export BACKUPKIT_MYSQL_SHORTBINLOG_PASSWORD=$SHORTBINLOG_PASSWORD
ENV
chmod 600 "$ENV_FILE"
echo "mariadb (misconfigured for the preflight tests): binary logging off on 127.0.0.1:13307, short STATEMENT binlog on 127.0.0.1:13308 (env: $ENV_FILE)"
