# shellcheck shell=sh
# First step of a restore (rclone/rclone): download the chosen dump into the shared emptyDir.
# BACKUP_RESTORE_DUMP is "latest" (the newest file of the target's database/ folder) or a file name;
# BACKUP_RESTORE_TARGET the <remote>:<path> to read (default: the first of BACKUP_TARGETS).
. "$(dirname "$0")/lib.sh"

work=${BACKUP_WORK_DIR:?BACKUP_WORK_DIR is not set}
target=${BACKUP_RESTORE_TARGET:-}
if [ -z "$target" ]; then
  target=$(targets | head -n 1)
fi
dump=${BACKUP_RESTORE_DUMP:-latest}

if [ "$dump" = latest ]; then
  dump=$(rclone lsf --files-only --format tp --separator ';' --include '*.dump' "$target/database" \
    | sort -r | head -n 1 | cut -d';' -f2-)
  if [ -z "$dump" ]; then
    fail "no dump found in ${target}/database"
  fi
  log "latest dump in ${target}/database: $dump"
fi
case $dump in
  */* | ..*) fail "BACKUP_RESTORE_DUMP must be a file name in ${target}/database, got: $dump" ;;
esac
rm -f "$work/restore.dump" "$work/restore.name"
rclone copyto "$target/database/$dump" "$work/restore.dump" || fail "could not download ${target}/database/$dump"
printf '%s\n' "$dump" >"$work/restore.name"
log "downloaded $dump ($(wc -c <"$work/restore.dump") bytes)"
