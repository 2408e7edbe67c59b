# shellcheck shell=sh
# Init container of the database backup (official postgres:<server major> image): pg_dump -Fc over the
# direct port into the shared emptyDir. It always exits 0 and writes BACKUP_WORK_DIR/status ("ok <file>"
# or "failed ..." with the end of pg_dump's errors) so that the upload container can report the
# failure to the heartbeat (this image has neither wget nor curl) and fail the Job.
. "$(dirname "$0")/lib.sh"

work=${BACKUP_WORK_DIR:?BACKUP_WORK_DIR is not set}
status="$work/status"
name="${PGDATABASE:?PGDATABASE is not set}-$(utc_stamp).dump"
rm -f "$status"

log "dumping database $PGDATABASE from $PGHOST:${PGPORT:-5432} (sslmode ${PGSSLMODE:-prefer}) with $(pg_dump --version)"
if pg_dump --format=custom --no-password --file="$work/$name.partial" 2>"$work/dump.log"; then
  mv "$work/$name.partial" "$work/$name"
  printf 'ok %s\n' "$name" >"$status"
  log "dump written: $name ($(wc -c <"$work/$name") bytes)"
else
  rc=$?
  rm -f "$work/$name.partial"
  {
    printf 'failed pg_dump exited with code %s\n' "$rc"
    tail -n 20 "$work/dump.log"
  } >"$status"
  log "pg_dump failed with code $rc"
fi
cat "$work/dump.log" >&2
exit 0
