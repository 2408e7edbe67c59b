# shellcheck shell=sh
# Helpers shared by the backup scripts. POSIX sh only: they run under busybox sh in rclone/rclone
# (Alpine, wget) and dash in postgres (Debian, neither wget nor curl). Sourced, never run.
set -eu

log() {
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# GET a URL quietly with whichever of wget and curl exists. The URL is never printed (it holds a token).
http_get() {
  if command -v wget >/dev/null 2>&1; then
    wget -q -T 15 -O /dev/null "$1"
  elif command -v curl >/dev/null 2>&1; then
    curl -fsS -m 15 -o /dev/null "$1"
  else
    log "neither wget nor curl is installed: cannot call the heartbeat"
    return 1
  fi
}

# heartbeat success|fail: call BACKUP_HEARTBEAT_URL (success) or BACKUP_HEARTBEAT_URL/fail, when set.
BACKUP_HEARTBEAT_SENT=
heartbeat() {
  url=${BACKUP_HEARTBEAT_URL:-}
  BACKUP_HEARTBEAT_SENT=$1
  if [ -z "$url" ]; then
    return 0
  fi
  if [ "$1" = fail ]; then
    url="${url%/}/fail"
  fi
  if http_get "$url"; then
    log "heartbeat: $1 reported"
  else
    log "heartbeat: could not report $1"
  fi
}

# Any exit other than 0 reports a failure (once), whatever stopped the script.
heartbeat_on_exit() {
  rc=$?
  if [ "$rc" -ne 0 ] && [ -z "$BACKUP_HEARTBEAT_SENT" ]; then
    heartbeat fail
  fi
  exit "$rc"
}

fail() {
  log "FAILED: $*"
  exit 1
}

# The backup targets: BACKUP_TARGETS is a space-separated list of <remote>:<bucket>/<prefix>.
targets() {
  if [ -z "${BACKUP_TARGETS:-}" ]; then
    fail "BACKUP_TARGETS is empty: no backup remote is configured"
  fi
  printf '%s\n' $BACKUP_TARGETS
}

utc_stamp() {
  date -u +%Y%m%dT%H%M%SZ
}
