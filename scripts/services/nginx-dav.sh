#!/usr/bin/env bash
# Starts a private nginx on 127.0.0.1 serving a WebDAV repository for the HTTPStorage tests:
# PUT/DELETE/MKCOL/COPY/MOVE (http_dav_module), PROPFIND/OPTIONS (dav-ext), basic authentication.
# Idempotent: a server that already answers is reused. Writes `export` lines for the tests to
# $BACKUPKIT_SERVICES/nginx-dav.env:
#
#   BACKUPKIT_DAV_URL        http://127.0.0.1:18081/repo/
#   BACKUPKIT_DAV_USER       the basic-auth user
#   BACKUPKIT_DAV_PASSWORD   its password (generated once, kept in a 0600 file)
#
# Everything lives under $BACKUPKIT_SERVICES/nginx-dav/ (its own -p prefix, configuration, pid file,
# logs and data); the system nginx service is neither configured nor started.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
HOME_DIR="$SERVICES/nginx-dav"
DATA="$HOME_DIR/data"
CONF="$HOME_DIR/nginx.conf"
ENV_FILE="$SERVICES/nginx-dav.env"
PORT=18081
DAV_USER=backupkit
MODULE=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so
mkdir -p "$HOME_DIR" "$DATA/repo" "$HOME_DIR/logs" "$HOME_DIR/temp"
chmod 700 "$HOME_DIR"

# 1. Install nginx, the dav-ext module (PROPFIND) and htpasswd when missing. The package's maintainer
#    scripts would start the system nginx on port 80; a temporary policy-rc.d stops that.
if ! command -v nginx >/dev/null 2>&1 || [ ! -f "$MODULE" ] || ! command -v htpasswd >/dev/null 2>&1 \
    || ! command -v curl >/dev/null 2>&1; then
    install_quietly nginx libnginx-mod-http-dav-ext apache2-utils curl
fi

# 2. The password is generated once and kept (0600) so a running server and the env file agree; it
#    reaches htpasswd through stdin, never argv.
KEYS="$HOME_DIR/password"
if [ ! -s "$KEYS" ]; then
    (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEYS")
fi
PASSWORD=$(cat "$KEYS")
(umask 077 && htpasswd -i -c -m "$HOME_DIR/htpasswd" "$DAV_USER" <"$KEYS" >/dev/null 2>&1)

# 3. The configuration. Workers run as the invoking user so that they can write the data folder.
RUN_USER=$(id -un)
RUN_GROUP=$(id -gn)
cat >"$CONF" <<NGINX
load_module $MODULE;
daemon on;
user $RUN_USER $RUN_GROUP;
worker_processes 1;
pid $HOME_DIR/nginx.pid;
error_log $HOME_DIR/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $HOME_DIR/logs/access.log;
    client_body_temp_path $HOME_DIR/temp;
    proxy_temp_path $HOME_DIR/temp;
    fastcgi_temp_path $HOME_DIR/temp;
    uwsgi_temp_path $HOME_DIR/temp;
    scgi_temp_path $HOME_DIR/temp;
    server {
        listen 127.0.0.1:$PORT;
        server_name localhost;
        root $DATA;
        location /repo/ {
            dav_methods PUT DELETE MKCOL COPY MOVE;
            dav_ext_methods PROPFIND OPTIONS;
            dav_access user:rw;
            create_full_put_path on;
            client_max_body_size 0;
            client_body_buffer_size 1m;
            autoindex off;
            auth_basic "BackupKit test repository";
            auth_basic_user_file $HOME_DIR/htpasswd;
        }
    }
}
NGINX

answers() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/repo/" 2>/dev/null || true)
    [ "$code" = 401 ]
}

# 4. Start unless it already answers (a running server rereads the configuration and password file).
if answers; then
    if [ -f "$HOME_DIR/nginx.pid" ]; then nginx -p "$HOME_DIR" -c "$CONF" -s reload >/dev/null 2>&1 || true; fi
else
    nginx -t -q -p "$HOME_DIR" -c "$CONF"
    nginx -p "$HOME_DIR" -c "$CONF"
fi

# 5. Wait (bounded) until it answers.
wait_until nginx-dav.sh "nginx did not answer on 127.0.0.1:$PORT within 10 s" "$HOME_DIR/logs/error.log" 50 0.2 answers

# 6. The env file for the tests (0600: it holds the password).
(
    umask 077
    cat >"$ENV_FILE" <<ENV
export BACKUPKIT_DAV_URL=http://127.0.0.1:$PORT/repo/
export BACKUPKIT_DAV_USER=$DAV_USER
export BACKUPKIT_DAV_PASSWORD=$PASSWORD
ENV
)
chmod 600 "$ENV_FILE"
echo "nginx-dav: http://127.0.0.1:$PORT/repo/ (env: $ENV_FILE)"
