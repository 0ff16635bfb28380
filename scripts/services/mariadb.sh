#!/usr/bin/env bash
# Starts a private MariaDB server on 127.0.0.1 for the MySQL tests, with binary logging on (ROW format),
# a `backup` user holding only what backups need, and an `bkadmin` user for restores and test fixtures.
# Idempotent: a server that already answers is reused. Writes `export` lines for the tests to
# $BACKUPKIT_SERVICES/mariadb.env:
#
#   BACKUPKIT_MYSQL_HOST / _PORT          127.0.0.1 / 13306
#   BACKUPKIT_MYSQL_USER / _PASSWORD      the backup user
#   BACKUPKIT_MYSQL_ADMIN_USER / _ADMIN_PASSWORD   an administrator (restores, fixtures)
#   BACKUPKIT_MYSQL_SOCKET                the server's socket (root through unix_socket authentication)
#
# The server runs as root from $BACKUPKIT_SERVICES/mariadb/data (we run as root in CI).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
HOME_DIR="$SERVICES/mariadb"
DATA="$HOME_DIR/data"
SOCKET="$HOME_DIR/mariadb.sock"
ENV_FILE="$SERVICES/mariadb.env"
PORT=13306
mkdir -p "$HOME_DIR"
chmod 700 "$HOME_DIR"

# 1. Install the server and tools when missing. The packages' maintainer scripts would start a system
#    server on port 3306; a temporary policy-rc.d stops that (only when none exists already).
if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mariadb-dump >/dev/null 2>&1 \
    || ! command -v mariadb-binlog >/dev/null 2>&1; then
    install_quietly mariadb-server mariadb-client mariadb-backup
fi

# 2. Passwords are generated once and kept (mode 0600) so a running server and the env file agree.
KEYS="$HOME_DIR/passwords"
if [ ! -s "$KEYS" ]; then
    umask 077
    {
        echo "BACKUP_PASSWORD=bk$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        echo "ADMIN_PASSWORD=adm$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    } >"$KEYS"
fi
# shellcheck disable=SC1090
. "$KEYS"

answers() { mariadb-admin --socket="$SOCKET" --user=root --connect-timeout=2 ping >/dev/null 2>&1; }

# 3. Create the datadir once, then start unless the server already answers.
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
            --socket="$SOCKET" --pid-file="$HOME_DIR/server.pid" --log-bin="$DATA/binlog" --server-id=1 \
            --binlog-format=ROW --user=root --log-error="$HOME_DIR/error.log" \
            --innodb-buffer-pool-size=256M --max-allowed-packet=256M \
            >"$HOME_DIR/mariadbd.out" 2>&1 </dev/null &
        echo $! >"$HOME_DIR/mariadbd.pid"
    fi
fi

# 4. Wait (bounded) until it answers.
wait_until mariadb.sh "the server did not answer on $SOCKET within 60 s" "$HOME_DIR/error.log" 120 0.5 answers

# 5. Users (idempotent). Passwords go through stdin, never argv.
mariadb --socket="$SOCKET" --user=root <<SQL
CREATE USER IF NOT EXISTS 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
CREATE USER IF NOT EXISTS 'backup'@'localhost' IDENTIFIED BY '$BACKUP_PASSWORD';
ALTER USER 'backup'@'127.0.0.1' IDENTIFIED BY '$BACKUP_PASSWORD';
ALTER USER 'backup'@'localhost' IDENTIFIED BY '$BACKUP_PASSWORD';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, PROCESS, BINLOG MONITOR, REPLICATION SLAVE
    ON *.* TO 'backup'@'127.0.0.1', 'backup'@'localhost';
CREATE USER IF NOT EXISTS 'bkadmin'@'127.0.0.1' IDENTIFIED BY '$ADMIN_PASSWORD';
CREATE USER IF NOT EXISTS 'bkadmin'@'localhost' IDENTIFIED BY '$ADMIN_PASSWORD';
ALTER USER 'bkadmin'@'127.0.0.1' IDENTIFIED BY '$ADMIN_PASSWORD';
ALTER USER 'bkadmin'@'localhost' IDENTIFIED BY '$ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'bkadmin'@'127.0.0.1', 'bkadmin'@'localhost' WITH GRANT OPTION;
SQL

# 6. The env file for the tests (0600: it holds the passwords).
umask 077
cat >"$ENV_FILE" <<ENV
export BACKUPKIT_MYSQL_HOST=127.0.0.1
export BACKUPKIT_MYSQL_PORT=$PORT
export BACKUPKIT_MYSQL_USER=backup
export BACKUPKIT_MYSQL_PASSWORD=$BACKUP_PASSWORD
export BACKUPKIT_MYSQL_ADMIN_USER=bkadmin
export BACKUPKIT_MYSQL_ADMIN_PASSWORD=$ADMIN_PASSWORD
export BACKUPKIT_MYSQL_SOCKET=$SOCKET
ENV
chmod 600 "$ENV_FILE"
echo "mariadb: 127.0.0.1:$PORT, socket $SOCKET (env: $ENV_FILE)"
