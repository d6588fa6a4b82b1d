import { script, type RemoteCommand } from './shell';

export interface DiagnosticProbe {
  name: string;
  /** What it tells the operator, for the report. */
  title: string;
  command: RemoteCommand;
}

export interface DiagnosticTarget {
  /** The nexus root on the host. */
  root: string;
  /** The app's name: its compose projects are <app>-blue and <app>-green. */
  app: string;
  /** nginx as the deploy user may run it (nexus.yml's nginx.command; `sudo -n /usr/sbin/nginx` by default). */
  nginxCommand: readonly string[];
}

/**
 * Read-only commands, each on its own: a tool missing on the host (no docker yet, no ufw) is reported as such
 * and never stops the rest. Every probe merges stderr into its output and is bounded by `timeout`. A
 * non-login SSH shell of a user other than root has no sbin directories in its PATH (Debian gives them only
 * to root and login shells), where nginx, ufw and ss live: every probe adds them.
 */
function probe(name: string, title: string, body: string, ...parameters: string[]): DiagnosticProbe {
  return { name, title, command: script(`nexus-debug-${name}`, `exec 2>&1\nPATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"\n${body}`, ...parameters) };
}

/** A probe never hangs the report; 30 s, because a loaded host can take seconds to start ufw (Python) or Docker's CLI. */
const bounded = (command: string) => `if command -v timeout >/dev/null; then timeout 30 ${command}; else ${command}; fi`;

/**
 * The engine's version, then Compose's, detected as deploys detect it: `docker compose version` decides
 * between the v2 plugin and docker-compose v1, so a Docker without the plugin is never asked for flags it
 * does not know (`docker compose version --short` on Docker 20.10 prints its whole help).
 */
const DOCKER = `engine=$(${bounded("docker version --format '{{.Server.Version}}'")}) || { echo "$engine"; exit 1; }
echo "engine $engine"
if docker compose version >/dev/null 2>&1; then echo "compose v2 $(${bounded('docker compose version --short')})"
elif command -v docker-compose >/dev/null; then echo "compose v1 $(${bounded('docker-compose version --short')})"
else echo "neither the docker compose plugin nor docker-compose is installed"; exit 1; fi`;

/** ufw needs root: as root directly, else through the sudo rule provisioning writes for exactly this command line. */
const FIREWALL = `command -v ufw >/dev/null || { echo "ufw is not installed"; exit 1; }
if [ "$(id -u)" = 0 ]; then ${bounded('ufw status verbose')}; else ${bounded('sudo -n ufw status verbose')}; fi`;

/**
 * nginx's version (it needs no privilege), then its configuration test run the way deploys run it: the test
 * reads the TLS keys and the pid file, which only root can, so it goes through nginx.command's sudo rule.
 */
const NGINX = `if command -v nginx >/dev/null; then nginx -v; fi
"$@" -t`;

/**
 * The serving release's containers (the colour serving.json names), one line each: service, state, health
 * (`-` without a health check), restarts and name; a container not healthy adds its last health checks.
 */
const RELEASE = `colour=$(sed -n 's/.*"colour": *"\\([a-z]*\\)".*/\\1/p' "$1/serving.json" 2>/dev/null)
[ -n "$colour" ] || { echo "no release is serving under $1"; exit 0; }
ids=$(${bounded('docker ps -aq --filter "label=com.docker.compose.project=$2-$colour"')}) || { echo "$ids"; exit 1; }
echo "project $2-$colour"
for id in $ids; do
  docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} restarts={{.RestartCount}} {{.Name}}{{with .State.Health}}{{if ne .Status "healthy"}}{{range .Log}}{{"\\n"}}  health check (exit {{.ExitCode}}): {{.Output}}{{end}}{{end}}{{end}}' "$id"
done`;

export function diagnosticProbes({ root, app, nginxCommand }: DiagnosticTarget): DiagnosticProbe[] {
  return [
    probe('os', 'Operating system and kernel', '. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}"; uname -srm'),
    probe('uptime', 'Uptime and load', 'cat /proc/uptime /proc/loadavg'),
    probe('disk', 'Disk use of / and the nexus root', 'df -P -k / "$1" 2>/dev/null || df -P -k /', root),
    probe('memory', 'Memory', "grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo"),
    probe('docker', 'Docker engine and compose', DOCKER),
    probe('containers', 'Containers', bounded("docker ps --all --format '{{.Names}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}'")),
    probe('release', 'Containers of the serving release (app, worker): state, health, restarts', RELEASE, root, app),
    probe('ports', 'Listening TCP ports', 'ss -ltnH 2>/dev/null || netstat -ltn'),
    probe('nginx', 'nginx version and configuration test', NGINX, ...nginxCommand),
    probe('firewall', 'Firewall', FIREWALL),
    probe('releases', 'nexus releases and lock', 'cd "$1" || exit 1; echo "current: $(readlink current 2>/dev/null || echo none)"; ls -1 releases 2>/dev/null | tail -n 5; cat locks/deploy/details.json 2>/dev/null || echo "lock: free"', root),
    // adm (given by provisioning) reads nginx's error log and the whole system journal.
    probe('errors', 'Recent errors (nginx, system journal)', 'tail -n 30 /var/log/nginx/error.log 2>/dev/null; journalctl -p err -n 30 --no-pager 2>/dev/null; true'),
  ];
}
