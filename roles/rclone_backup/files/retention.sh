# shellcheck shell=sh
# retention.sh <remote:path>: delete the files directly under <remote:path> that are older than
# BACKUP_RETENTION_DAYS days (by their modification time, which rclone keeps), but never one of the
# BACKUP_RETENTION_COUNT newest files.
. "$(dirname "$0")/lib.sh"

dir=${1:?usage: retention.sh <remote:path>}
days=${BACKUP_RETENTION_DAYS:?BACKUP_RETENTION_DAYS is not set}
count=${BACKUP_RETENTION_COUNT:?BACKUP_RETENTION_COUNT is not set}
if [ "$days" -lt 1 ] || [ "$count" -lt 1 ]; then
  fail "retention needs BACKUP_RETENTION_DAYS >= 1 and BACKUP_RETENTION_COUNT >= 1 (got $days and $count)"
fi

# "<YYYY-MM-DD hh:mm:ss>;<name>" sorts by time; keep the names of the newest $count.
listing=$(rclone lsf --files-only --format tp --separator ';' "$dir")
keep=$(printf '%s\n' "$listing" | sed '/^$/d' | sort -r | head -n "$count" | cut -d';' -f2-)
expired=$(rclone lsf --files-only --min-age "${days}d" "$dir")

deleted=0
while IFS= read -r file; do
  if [ -z "$file" ] || printf '%s\n' "$keep" | grep -Fxq -- "$file"; then
    continue
  fi
  log "retention: deleting $file (older than $days days, not among the $count newest)"
  rclone deletefile "$dir/$file"
  deleted=$((deleted + 1))
done <<LIST
$expired
LIST
log "retention in $dir: $deleted file(s) deleted"
