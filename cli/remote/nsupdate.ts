import { script, type RemoteCommand } from './shell';

/**
 * nsupdate with its TSIG key in a private temporary file (never on a command line, where `ps` would show it),
 * written from stdin's first line; the update commands follow it on stdin.
 */
export function nsupdate(): RemoteCommand {
  return script(
    'nexus-nsupdate',
    `command -v nsupdate >/dev/null || { echo "nsupdate is not installed (Debian/Ubuntu: bind9-dnsutils; nexus server provision installs it)" >&2; exit 127; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
umask 077
IFS= read -r key && printf '%s\\n' "$key" > "$dir/key" || exit 1
timeout 30 nsupdate -k "$dir/key" -t 10`,
  );
}
