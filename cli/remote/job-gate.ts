import { gateWord } from './job-allow-list';
import { quote, script, type RemoteCommand } from './shell';

/**
 * The gate of a scheduled job's SSH key: the `command=` forced on the key in authorized_keys, so that whatever
 * the client asks for (a shell, `id`, sftp, another script), sshd runs the gate instead, with the request in
 * SSH_ORIGINAL_COMMAND. The job's nexus sends each remote command as `nexus-gate` and its arguments in base64
 * (no shell parsing on the host at all); the gate runs it only when a line of its allow-list fits every
 * argument, and otherwise refuses with GATE_REFUSED_STATUS and a message saying so.
 */

/** Exit status of a call the gate refuses (EX_NOPERM). */
export const GATE_REFUSED_STATUS = 77;

/** How the gate's refusals start, for the client to tell them from a script's own failures. */
export const GATE_REFUSED_PREFIX = 'nexus job gate: refused';

/** A remote command as a gated job sends it. */
export function gateRequest(command: RemoteCommand): string {
  return ['nexus-gate', ...command.map(gateWord)].join(' ');
}

/** The gate itself: a POSIX sh script, run by sshd as the key's forced command. */
export function gateScript(allowList: string, job: string): string {
  return `#!/bin/sh
# nexus job gate for ${job}: the forced command of the job's SSH key (written by nexus; rewritten on every install).
# The key runs nothing but the calls listed in ${allowList}, each argument checked; see docs/https.md.
set -fu
allowed=${quote(allowList)}
job=${quote(job)}
newline='
'
refuse() {
  echo "${GATE_REFUSED_PREFIX} $1: the key of the job $job runs only the nexus calls listed in $allowed (after upgrading nexus, install the job again)" >&2
  exit ${GATE_REFUSED_STATUS}
}
# An argument as sent (":" and base64) into $v; a trailing "." keeps the value's own trailing newlines.
decode() {
  case $1 in :*) ;; *) return 1;; esac
  v=$(printf '%s' "\${1#:}" | base64 -d 2>/dev/null && echo .) || return 1
  case $v in *.) v=\${v%.};; *) return 1;; esac
}
# Does argument $1 (as sent) match the extended regex whose base64 is $2, whole and on one line?
like() {
  decode "$1" || return 1
  value=$v
  decode ":$2" || return 1
  case $value in *"$newline"*) return 1;; esac
  # In the C locale: a client may send LC_* (sshd's AcceptEnv), and elsewhere a range such as [a-z] may match more.
  printf '%s\\n' "$value" | LC_ALL=C grep -Eqx -e "$v"
}
next_word() { word=\${left%% *}; left=\${left#"$word"}; left=\${left# }; }
# Does the call fit the allow-list line $1, argument by argument?
fits() {
  specs=$1 left=$words
  while [ -n "$specs" ]; do
    spec=\${specs%% *}; specs=\${specs#"$spec"}; specs=\${specs# }
    case $spec in
      '*~'*) while [ -n "$left" ]; do next_word; like "$word" "\${spec#??}" || return 1; done; return 0;;
    esac
    [ -n "$left" ] || return 1
    next_word
    case $spec in
      =*) [ "$word" = "\${spec#=}" ] || return 1;;
      '~'*) like "$word" "\${spec#?}" || return 1;;
      *) return 1;;
    esac
  done
  [ -z "$left" ]
}
printable() { printf '%s' "$1" | tr -c '[:print:]' '?' | cut -c 1-60; }
request=\${SSH_ORIGINAL_COMMAND-}
case $request in
  '') refuse 'a login shell';;
  'nexus-gate '*) words=\${request#nexus-gate };;
  *) refuse "\\"$(printable "$request")\\" (not a nexus call)";;
esac
case $words in
  ''|' '*|*' '|*'  '*|*[!A-Za-z0-9+/=:\\ ]*) refuse 'a malformed call';;
esac
[ -f "$allowed" ] || refuse "every call (there is no $allowed)"
# The list is read on fd 3: stdin stays the caller's (the file a write script receives).
while IFS= read -r entry <&3; do
  case $entry in ''|'#'*) continue;; esac
  if fits "$entry"; then
    set --
    for word in $words; do decode "$word" || refuse 'a malformed call'; set -- "$@" "$v"; done
    exec "$@" 3<&-
  fi
done 3< "$allowed"
# Name what was refused: the script's name for \`sh -c <script> <name> …\`, else the program.
set -- $words
decode "$1" && name=$v || name=?
if [ "$name" = sh ] && [ $# -ge 4 ]; then decode "$4" && name=$v; fi
refuse "\\"$(printable "$name")\\" (not an allowed call)"
`;
}

/**
 * The job key's authorized_keys entry: restricted (no forwarding, terminal, agent or X11), bound to the gate,
 * and accepted only from the addresses the job connects from.
 */
export function gatedKeyEntry(publicKey: string, gate: string, from: readonly string[]): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(gate)) throw new Error(`the gate's path ${gate} cannot be written in authorized_keys`);
  const bad = from.find((address) => !/^[0-9A-Fa-f.:]+$/.test(address));
  if (bad !== undefined || from.length === 0) throw new Error(`${bad ?? 'no address'} cannot be a from= address of the job key`);
  return `restrict,command="sh ${gate}",from="${from.join(',')}" ${publicKey.trim()}`;
}

/**
 * The addresses a host connects to `address` from (one per line): the source address of its route to each of
 * the name's addresses, or every address of the host when it has no `ip` command.
 */
export function sourceAddresses(address: string): RemoteCommand {
  return script(
    'nexus-source-addresses',
    `found=$(for address in $(getent ahosts "$1" 2>/dev/null | awk '{ print $1 }' | sort -u); do
  ip -o route get "$address" 2>/dev/null | sed -n 's/.* src \\([^ ]*\\).*/\\1/p'
done | sort -u)
[ -n "$found" ] || found=$(hostname -I 2>/dev/null | tr ' ' '\\n' | grep -v '^$')
[ -n "$found" ] || { echo "cannot tell which address $(hostname) reaches $1 from" >&2; exit 1; }
printf '%s\\n' "$found"`,
    address,
  );
}
