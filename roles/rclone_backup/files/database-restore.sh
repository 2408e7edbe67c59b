# shellcheck shell=sh
# Second step of a restore (official postgres:<server major> image): pg_restore the downloaded dump
# over the direct port. The target database must be empty (no table, sequence, view or type outside
# the system schemas) unless BACKUP_RESTORE_FORCE=true, which drops the dump's objects first (--clean).
# One transaction: a restore that fails leaves the database as it was.
. "$(dirname "$0")/lib.sh"

work=${BACKUP_WORK_DIR:?BACKUP_WORK_DIR is not set}
dump="$work/restore.dump"
if [ ! -f "$dump" ]; then
  fail "no dump in $work: the fetch step did not run"
fi
name=$(cat "$work/restore.name" 2>/dev/null || echo "$dump")
force=${BACKUP_RESTORE_FORCE:-false}

objects=$(psql --no-psqlrc --no-password --tuples-only --no-align --set ON_ERROR_STOP=1 --command "
  SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'") \
  || fail "cannot connect to database $PGDATABASE on $PGHOST:${PGPORT:-5432}"

if [ "$objects" -gt 0 ]; then
  if [ "$force" != true ]; then
    fail "refusing to restore into database $PGDATABASE on $PGHOST:${PGPORT:-5432}: it is not empty ($objects tables, sequences or views). Restore into a new, empty database, or set restore_force (BACKUP_RESTORE_FORCE=true) to replace its objects."
  fi
  log "database $PGDATABASE is not empty ($objects relations) and BACKUP_RESTORE_FORCE=true: replacing the dump's objects"
  set -- --clean --if-exists
else
  set --
fi

log "restoring $name into $PGDATABASE on $PGHOST:${PGPORT:-5432} with $(pg_restore --version)"
pg_restore --no-password --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$PGDATABASE" "$@" "$dump" \
  || fail "pg_restore of $name failed; the transaction was rolled back"
log "restore of $name done"
