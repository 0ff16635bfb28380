# Helpers the service scripts share. Sourced (`. "$(dirname "$0")/lib.sh"`), never run.

# install_quietly PACKAGE...: installs Debian packages without letting their maintainer scripts start the
# system's own service (a temporary policy-rc.d, only when none exists already).
install_quietly() {
    local created_policy=false status=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=true
    fi
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; } || status=$?
    if [ "$created_policy" = true ]; then rm -f /usr/sbin/policy-rc.d; fi
    hash -r
    return "$status"
}

# wait_until SCRIPT PROBLEM LOG TRIES INTERVAL COMMAND...: runs COMMAND until it succeeds, at most TRIES
# times INTERVAL seconds apart; if it never does, prints "SCRIPT: PROBLEM; log: LOG" and the log's last
# lines on standard error and exits 1.
wait_until() {
    local script=$1 problem=$2 log=$3 tries=$4 interval=$5
    shift 5
    for _ in $(seq 1 "$tries"); do
        if "$@"; then return 0; fi
        sleep "$interval"
    done
    echo "$script: $problem; log: $log" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
}
