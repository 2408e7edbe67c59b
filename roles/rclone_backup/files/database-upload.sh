# shellcheck shell=sh
# Main container of the database backup (rclone/rclone): read the dump container's status, upload the
# dump to every target's database/ folder, apply the retention there, report to the heartbeat.
. "$(dirname "$0")/lib.sh"
trap heartbeat_on_exit EXIT

here=$(dirname "$0")
work=${BACKUP_WORK_DIR:?BACKUP_WORK_DIR is not set}
status="$work/status"

if [ ! -f "$status" ]; then
  fail "no dump status in $work: the dump container did not run"
fi
state=
name=
read -r state name <"$status" || true
if [ "$state" != ok ]; then
  cat "$status" >&2
  fail "the database dump failed (see above); nothing was uploaded"
fi

for target in $(targets); do
  log "uploading $name to ${target}/database/"
  rclone copyto "$work/$name" "$target/database/$name" || fail "upload of $name to ${target%%:*} failed"
  sh "$here/retention.sh" "$target/database" || fail "retention in ${target%%:*} failed"
done
heartbeat success
log "database backup $name done"
