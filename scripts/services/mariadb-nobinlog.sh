#!/usr/bin/env bash
# Starts a second private MariaDB server on 127.0.0.1 with binary logging OFF, for the preflight tests
# (`backup check` must report `log_bin` failed for a plan with `incremental: binlog`). Same tools as
# mariadb.sh (which installs them), its own datadir and port. Idempotent: a server that already answers
# is reused. Writes `export` lines for the tests to $BACKUPKIT_SERVICES/mariadb-nobinlog.env:
#
#   BACKUPKIT_MYSQL_NOBINLOG_HOST / _PORT      127.0.0.1 / 13307
#   BACKUPKIT_MYSQL_NOBINLOG_USER / _PASSWORD  a user with the backup grants
set -euo pipefail

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
HOME_DIR="$SERVICES/mariadb-nobinlog"
DATA="$HOME_DIR/data"
SOCKET="$HOME_DIR/mariadb.sock"
ENV_FILE="$SERVICES/mariadb-nobinlog.env"
PORT=13307
mkdir -p "$HOME_DIR"
chmod 700 "$HOME_DIR"

if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mariadb-install-db >/dev/null 2>&1; then
    bash "$(dirname "$0")/mariadb.sh" >/dev/null
fi

KEYS="$HOME_DIR/passwords"
if [ ! -s "$KEYS" ]; then
    umask 077
    echo "BACKUP_PASSWORD=nb$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$KEYS"
fi
# shellcheck disable=SC1090
. "$KEYS"

answers() { mariadb-admin --socket="$SOCKET" --user=root --connect-timeout=2 ping >/dev/null 2>&1; }

if ! answers; then
    if [ ! -d "$DATA/mysql" ]; then
        rm -rf "$DATA"
        mariadb-install-db --datadir="$DATA" --user=root --auth-root-authentication-method=socket \
            --skip-test-db >"$HOME_DIR/install.log" 2>&1
    fi
    if [ -f "$HOME_DIR/mariadbd.pid" ] && kill -0 "$(cat "$HOME_DIR/mariadbd.pid")" 2>/dev/null; then
        : # starting up; wait below
    else
        nohup mariadbd --no-defaults --datadir="$DATA" --port=$PORT --bind-address=127.0.0.1 \
            --socket="$SOCKET" --pid-file="$HOME_DIR/server.pid" --skip-log-bin --server-id=2 \
            --user=root --log-error="$HOME_DIR/error.log" --innodb-buffer-pool-size=32M \
            >"$HOME_DIR/mariadbd.out" 2>&1 </dev/null &
        echo $! >"$HOME_DIR/mariadbd.pid"
    fi
fi

ready=false
for _ in $(seq 1 120); do
    if answers; then
        ready=true
        break
    fi
    sleep 0.5
done
if [ "$ready" != true ]; then
    echo "mariadb-nobinlog.sh: the server did not answer on $SOCKET within 60 s; log: $HOME_DIR/error.log" >&2
    tail -n 20 "$HOME_DIR/error.log" >&2 || true
    exit 1
fi

mariadb --socket="$SOCKET" --user=root <<SQL
CREATE USER IF NOT EXISTS 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
ALTER USER 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS, BINLOG MONITOR, REPLICATION SLAVE
    ON *.* TO 'backup'@'127.0.0.1';
SQL

umask 077
cat >"$ENV_FILE" <<ENV
export BACKUPKIT_MYSQL_NOBINLOG_HOST=127.0.0.1
export BACKUPKIT_MYSQL_NOBINLOG_PORT=$PORT
export BACKUPKIT_MYSQL_NOBINLOG_USER=backup
export BACKUPKIT_MYSQL_NOBINLOG_PASSWORD=$BACKUP_PASSWORD
ENV
chmod 600 "$ENV_FILE"
echo "mariadb (binary logging off): 127.0.0.1:$PORT (env: $ENV_FILE)"
