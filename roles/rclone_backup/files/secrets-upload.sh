# shellcheck shell=sh
# Secrets bundle (rclone/rclone): Mastodon's Secret, mounted at BACKUP_SECRETS_DIR (one file per key),
# as an uncompressed tar uploaded through an rclone crypt remote over every target's secrets/ folder.
# The crypt password comes in plain (BACKUP_CRYPT_PASSWORD, optional BACKUP_CRYPT_SALT) and is obscured here.
. "$(dirname "$0")/lib.sh"
trap heartbeat_on_exit EXIT

here=$(dirname "$0")
work=${BACKUP_WORK_DIR:?BACKUP_WORK_DIR is not set}
secrets=${BACKUP_SECRETS_DIR:?BACKUP_SECRETS_DIR is not set}
if [ -z "${BACKUP_CRYPT_PASSWORD:-}" ]; then
  fail "BACKUP_CRYPT_PASSWORD is empty: the secrets bundle is only ever uploaded encrypted"
fi
name="${BACKUP_SECRETS_NAME:-secrets}-$(utc_stamp).tar"

# The mounted Secret's files are symlinks into a hidden ..data folder: copy the keys' contents.
bundle="$work/bundle"
rm -rf "$bundle"
mkdir -p "$bundle"
found=0
for file in "$secrets"/*; do
  if [ -f "$file" ]; then
    cat "$file" >"$bundle/$(basename "$file")"
    found=$((found + 1))
  fi
done
if [ "$found" -eq 0 ]; then
  fail "no key found in $secrets: is the Secret mounted?"
fi
tar -cf "$work/$name" -C "$bundle" .
rm -rf "$bundle"

RCLONE_CONFIG_BACKUPCRYPT_TYPE=crypt
RCLONE_CONFIG_BACKUPCRYPT_PASSWORD=$(printf '%s' "$BACKUP_CRYPT_PASSWORD" | rclone obscure -)
export RCLONE_CONFIG_BACKUPCRYPT_TYPE RCLONE_CONFIG_BACKUPCRYPT_PASSWORD
if [ -n "${BACKUP_CRYPT_SALT:-}" ]; then
  RCLONE_CONFIG_BACKUPCRYPT_PASSWORD2=$(printf '%s' "$BACKUP_CRYPT_SALT" | rclone obscure -)
  export RCLONE_CONFIG_BACKUPCRYPT_PASSWORD2
fi

for target in $(targets); do
  RCLONE_CONFIG_BACKUPCRYPT_REMOTE="$target/secrets"
  export RCLONE_CONFIG_BACKUPCRYPT_REMOTE
  log "uploading the encrypted bundle of $found key(s) to ${target}/secrets/"
  rclone copyto "$work/$name" "backupcrypt:$name" || fail "upload of the secrets bundle to ${target%%:*} failed"
  sh "$here/retention.sh" "backupcrypt:" || fail "retention of the secrets bundles in ${target%%:*} failed"
done
rm -f "$work/$name"
heartbeat success
log "secrets bundle $name done"
