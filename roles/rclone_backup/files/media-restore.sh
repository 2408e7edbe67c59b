# shellcheck shell=sh
# Last step of a restore (rclone/rclone), when BACKUP_RESTORE_MEDIA=true: copy the media backup back to
# Mastodon's bucket. Never deletes at the bucket. With BACKUP_RESTORE_MEDIA_INCLUDE_DELETED=true, the
# files moved to media/deleted/ by earlier syncs are copied back first (oldest first), then media/current.
. "$(dirname "$0")/lib.sh"

if [ "${BACKUP_RESTORE_MEDIA:-false}" != true ]; then
  log "media restore not requested"
  exit 0
fi
source=${BACKUP_MEDIA_SOURCE:?BACKUP_MEDIA_SOURCE is not set}
target=${BACKUP_RESTORE_TARGET:-}
if [ -z "$target" ]; then
  target=$(targets | head -n 1)
fi
set -- --transfers "${BACKUP_MEDIA_TRANSFERS:-8}" --checkers "${BACKUP_MEDIA_CHECKERS:-16}"
if [ -n "${BACKUP_MEDIA_BWLIMIT:-}" ]; then
  set -- "$@" --bwlimit "$BACKUP_MEDIA_BWLIMIT"
fi

if [ "${BACKUP_RESTORE_MEDIA_INCLUDE_DELETED:-false}" = true ]; then
  for folder in $(rclone lsf --dirs-only "$target/media/deleted" 2>/dev/null | sort || true); do
    log "copying back the files deleted before ${folder%/}"
    rclone copy "$target/media/deleted/${folder%/}" "$source" "$@" || fail "copy of media/deleted/${folder%/} failed"
  done
fi
log "copying ${target}/media/current back to the media bucket"
rclone copy "$target/media/current" "$source" "$@" || fail "media restore failed"
log "media restore done"
