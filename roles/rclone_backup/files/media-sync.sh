# shellcheck shell=sh
# Media backup (rclone/rclone): rclone sync of Mastodon's bucket to every target's media/current. A file
# changed or deleted at the source is moved to media/deleted/<UTC time of this run>/ instead of being
# lost (--backup-dir); those folders are purged after BACKUP_MEDIA_DELETED_RETENTION_DAYS days (0: kept).
. "$(dirname "$0")/lib.sh"
trap heartbeat_on_exit EXIT

source=${BACKUP_MEDIA_SOURCE:?BACKUP_MEDIA_SOURCE is not set}
stamp=$(utc_stamp)
keep_days=${BACKUP_MEDIA_DELETED_RETENTION_DAYS:-0}

set -- --transfers "${BACKUP_MEDIA_TRANSFERS:-8}" --checkers "${BACKUP_MEDIA_CHECKERS:-16}"
if [ -n "${BACKUP_MEDIA_BWLIMIT:-}" ]; then
  set -- "$@" --bwlimit "$BACKUP_MEDIA_BWLIMIT"
fi

for target in $(targets); do
  log "syncing media to ${target}/media/current (changed or deleted files go to media/deleted/$stamp)"
  rclone sync "$source" "$target/media/current" --backup-dir "$target/media/deleted/$stamp" --stats-one-line --stats 60s "$@" \
    || fail "media sync to ${target%%:*} failed"
  if [ "$keep_days" -gt 0 ]; then
    cutoff=$(date -u -d "@$(($(date -u +%s) - keep_days * 86400))" +%Y%m%dT%H%M%SZ)
    for folder in $(rclone lsf --dirs-only "$target/media/deleted" 2>/dev/null || true); do
      folder=${folder%/}
      case $folder in
        [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
        *) continue ;;
      esac
      if [ "$(printf '%s' "$folder" | tr -cd 0-9)" -lt "$(printf '%s' "$cutoff" | tr -cd 0-9)" ]; then
        log "purging media/deleted/$folder (older than $keep_days days)"
        rclone purge "$target/media/deleted/$folder" || fail "purge of media/deleted/$folder in ${target%%:*} failed"
      fi
    done
  fi
done
heartbeat success
log "media backup done"
