import { script, type RemoteCommand } from './shell';

/** Exit status of installCronEntry when the host has no cron. */
export const NO_CRON_STATUS = 4;

/** A job's SSH key pair, made on the host unless it exists (the private key never leaves it); prints the public key. */
export function ensureKeyPair(path: string, comment: string): RemoteCommand {
  return script(
    'nexus-job-key',
    `if [ ! -f "$1" ]; then
  mkdir -p "$(dirname "$1")" && chmod 700 "$(dirname "$1")" || exit 1
  ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1" >/dev/null || exit 1
  echo "changed: created the job key $1" >&2
fi
cat "$1.pub"`,
    path,
    comment,
  );
}

// `~/` in an authorized_keys path is the login's home on the host.
const EXPAND_HOME = 'case $file in "~/"*) file="$HOME/${file#"~/"}";; esac';

// An authorized_keys entry is the job's when its last field (the key's comment) is exactly the tag: a match
// anywhere in the line would take target prod-eu's key for prod's. awk reads the tag from the environment,
// where no escape sequence is interpreted.
const TAGGED = `export tag
tagged() { awk '$NF == ENVIRON["tag"]' "$1"; }
untagged() { awk '$NF != ENVIRON["tag"]' "$1"; }`;

// A crontab entry is the job's when it ends with exactly " # <marker>", for the same reason.
const MARKED = `export marker
marked() { awk 'BEGIN { m = " # " ENVIRON["marker"] } length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m'; }
unmarked() { awk 'BEGIN { m = " # " ENVIRON["marker"] } !(length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m)'; }`;

/**
 * Puts an entry in an authorized_keys file, replacing any older entry with the same tag (the key's comment),
 * through a private temporary file renamed over the old one; a file already holding it is left alone.
 */
export function authorizeKey(file: string, entry: string, tag: string): RemoteCommand {
  return script(
    'nexus-authorize-key',
    `file=$1 entry=$2 tag=$3
${EXPAND_HOME}
${TAGGED}
[ -f "$file" ] && [ "$(tagged "$file")" = "$entry" ] && exit 0
umask 077
mkdir -p "$(dirname "$file")" || exit 1
{ [ -f "$file" ] && untagged "$file"; printf '%s\\n' "$entry"; } > "$file.nexus-tmp" && mv -f "$file.nexus-tmp" "$file" || exit 1
echo "changed: authorised the job key in $file"`,
    file,
    entry,
    tag,
  );
}

/** Removes the entries with a tag from an authorized_keys file; every other line stays as it was. */
export function revokeKey(file: string, tag: string): RemoteCommand {
  return script(
    'nexus-revoke-key',
    `file=$1 tag=$2
${EXPAND_HOME}
${TAGGED}
[ -f "$file" ] && [ -n "$(tagged "$file")" ] || exit 0
umask 077
untagged "$file" > "$file.nexus-tmp" && mv -f "$file.nexus-tmp" "$file" || exit 1
echo "changed: removed the job key from $file"`,
    file,
    tag,
  );
}

const NO_CRON = `command -v crontab >/dev/null || { echo "cron is not installed on $(hostname) (nexus server provision installs it; or use --scheduler none)" >&2; exit ${NO_CRON_STATUS}; }`;

/** Exits NO_CRON_STATUS, saying so, when the login has no crontab command: checked before anything changes. */
export function checkCron(): RemoteCommand {
  return script('nexus-cron-check', NO_CRON);
}

/**
 * Makes `line` the only entry of the login's crontab carrying `marker`, keeping every other entry; a
 * crontab already holding exactly that is left alone.
 */
export function installCronEntry(marker: string, line: string): RemoteCommand {
  return script(
    'nexus-cron-install',
    `marker=$1 line=$2
${MARKED}
${NO_CRON}
current=$(crontab -l 2>/dev/null)
[ "$(printf '%s\\n' "$current" | marked)" = "$line" ] && exit 0
{ printf '%s\\n' "$current" | unmarked | grep -v '^$'; printf '%s\\n' "$line"; } | crontab - || exit 1
echo "changed: scheduled $line"`,
    marker,
    line,
  );
}

/** Removes the crontab entry carrying `marker`, if there is one (and cron at all). */
export function removeCronEntry(marker: string): RemoteCommand {
  return script(
    'nexus-cron-remove',
    `marker=$1
${MARKED}
command -v crontab >/dev/null || exit 0
current=$(crontab -l 2>/dev/null)
[ -n "$(printf '%s\\n' "$current" | marked)" ] || exit 0
rest=$(printf '%s\\n' "$current" | unmarked | grep -v '^$')
if [ -n "$rest" ]; then printf '%s\\n' "$rest" | crontab -; else crontab -r; fi || exit 1
echo "changed: removed the crontab entry"`,
    marker,
  );
}

/** Deletes a job's directory (validated: only a directory under jobs/ can be named). */
export function removeJobDirectory(dir: string): RemoteCommand {
  if (!/^\/.+\/jobs\/[a-z][a-z0-9-]*$/.test(dir)) throw new Error(`refusing to remove "${dir}": not a job directory`);
  return script('nexus-job-remove', '[ -d "$1" ] || exit 0; rm -rf -- "$1" && echo "changed: removed $1"', dir);
}

/** Three lines: `job` or `no-job`, the crontab entry (or nothing), the last run's record (or nothing). */
export function jobState(dir: string, marker: string): RemoteCommand {
  return script(
    'nexus-job-state',
    `marker=$2
${MARKED}
if [ -f "$1/run.sh" ]; then echo job; else echo no-job; fi
entry=$(command -v crontab >/dev/null && crontab -l 2>/dev/null | marked | head -n 1)
printf '%s\\n' "$entry"
tr -d '\\n' < "$1/last-run.json" 2>/dev/null; echo`,
    dir,
    marker,
  );
}
