// What the provisioning steps share: files, packages and services on a Debian/Ubuntu host.
import { script, type RemoteCommand } from './shell';

/** One remote command of a provisioning step; its output says `changed: …` for everything it changed. */
export interface ProvisionCommand {
  command: RemoteCommand;
  /** File content, passed on stdin. */
  stdin?: string;
}

export interface ProvisionStep {
  title: string;
  commands: ProvisionCommand[];
}

// Services start through systemd when it runs, else through their init scripts (containers, WSL).
export const START_SERVICE = `start_service() {
  if [ -d /run/systemd/system ]; then
    systemctl is-active --quiet "$1" && return 0
    systemctl enable --now "$1" >/dev/null && echo "changed: started $1"
  else
    service "$1" status >/dev/null 2>&1 && return 0
    service "$1" start >/dev/null && echo "changed: started $1"
  fi
}`;

/**
 * Writes stdin to a file only when its content differs (so a second run reports `ok`), with a mode and
 * owner; a validation command may veto the new content before it replaces the old.
 */
export function ensureFile(path: string, mode: string, owner: string, validate = ''): ProvisionCommand['command'] {
  return script(
    'nexus-ensure-file',
    `path=$1 mode=$2 owner=$3 validate=$4
tmp=$(mktemp) && cat > "$tmp" || exit 1
if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; exit 0; fi
if [ -n "$validate" ] && ! sh -c "$validate \\"\\$1\\"" validate "$tmp"; then rm -f "$tmp"; echo "refusing to install $path: '$validate' rejected it" >&2; exit 1; fi
mkdir -p "$(dirname "$path")" && install -m "$mode" -o "\${owner%%:*}" -g "\${owner#*:}" "$tmp" "$path" && rm -f "$tmp" && echo "changed: wrote $path"`,
    path,
    mode,
    owner,
    validate,
  );
}

export function installPackages(packages: string): ProvisionCommand {
  return {
    command: script(
      'nexus-packages',
      `. /etc/os-release${
        packages.includes('$compose')
          ? `
# Ubuntu packages Compose v2 as docker-compose-v2; Debian as docker-compose (v1 on bookworm, v2 later).
compose=docker-compose; [ "$ID" = ubuntu ] && compose=docker-compose-v2`
          : ''
      }
missing=""
for package in ${packages}; do
  dpkg-query -W -f='\${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
# Existing configuration files are kept as they are (the operator's), never prompted about.
apt-get update -qq && apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >/dev/null && echo "changed: installed$missing"`,
    ),
  };
}

