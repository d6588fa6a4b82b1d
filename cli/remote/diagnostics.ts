import { script, type RemoteCommand } from './shell';

export interface DiagnosticProbe {
  name: string;
  /** What it tells the operator, for the report. */
  title: string;
  command: RemoteCommand;
}

/**
 * Read-only commands, each on its own: a tool missing on the host (no docker yet, no ufw) is reported as such
 * and never stops the rest. Every probe merges stderr into its output and is bounded by `timeout`.
 */
function probe(name: string, title: string, body: string, ...parameters: string[]): DiagnosticProbe {
  return { name, title, command: script(`nexus-debug-${name}`, `exec 2>&1\n${body}`, ...parameters) };
}

const bounded = (command: string) => `if command -v timeout >/dev/null; then timeout 10 ${command}; else ${command}; fi`;

export function diagnosticProbes(root: string): DiagnosticProbe[] {
  return [
    probe('os', 'Operating system and kernel', '. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}"; uname -srm'),
    probe('uptime', 'Uptime and load', 'cat /proc/uptime /proc/loadavg'),
    probe('disk', 'Disk use of / and the nexus root', 'df -P -k / "$1" 2>/dev/null || df -P -k /', root),
    probe('memory', 'Memory', "grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo"),
    probe('docker', 'Docker engine and compose', `${bounded("docker version --format '{{.Server.Version}}'")} && { ${bounded('docker compose version --short')} || ${bounded('docker-compose version --short')}; }`),
    probe('containers', 'Containers', bounded("docker ps --all --format '{{.Names}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}'")),
    probe('ports', 'Listening TCP ports', 'ss -ltnH 2>/dev/null || netstat -ltn'),
    probe('nginx', 'nginx version and configuration test', 'nginx -v && nginx -t'),
    probe('firewall', 'Firewall', `${bounded('ufw status verbose')} || ${bounded('sudo -n ufw status verbose')}`),
    probe('releases', 'nexus releases and lock', 'cd "$1" || exit 1; echo "current: $(readlink current 2>/dev/null || echo none)"; ls -1 releases 2>/dev/null | tail -n 5; cat locks/deploy/details.json 2>/dev/null || echo "lock: free"', root),
    probe('errors', 'Recent errors (nginx, system journal)', 'tail -n 30 /var/log/nginx/error.log 2>/dev/null; journalctl -p err -n 30 --no-pager 2>/dev/null; true'),
  ];
}
