import { ensureFile, installPackages, START_SERVICE, type ProvisionCommand, type ProvisionStep } from './host-setup';
import { script } from './shell';

/** Where one host's Prometheus node exporter listens, as monitoring.node_exporter resolves for that host. */
export interface NodeExporterSetting {
  /** `<address>:<port>` or `[<IPv6 address>]:<port>`; loopback or private (the configuration refuses others). */
  listen: string;
  /** The ranges ufw lets in to it: none for a loopback address. */
  allowFrom: string[];
}

const PACKAGE = 'prometheus-node-exporter';
/** Debian's file of the exporter's flags, read by its systemd unit and its init script alike. */
const NODE_EXPORTER_DEFAULTS = '/etc/default/prometheus-node-exporter';
/** Marks the file as nexus's: only an exporter nexus set up is removed when the setting is turned off. */
const MARK = '# nexus:';
/** The comment on nexus's ufw rules for the exporter, which finds them again when the setting changes. */
const RULE_COMMENT = 'nexus-node-exporter';
const LISTEN = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/;

/** `10.0.0.5:9100` → 10.0.0.5 and 9100; `[fd00::5]:9100` → fd00::5 and 9100. */
export function splitListen(listen: string): { address: string; port: string } {
  // Only these characters reach the scripts below; the configuration checked the rest.
  if (!LISTEN.test(listen)) throw new Error(`not an <address>:<port>: ${listen}`);
  const colon = listen.lastIndexOf(':');
  return { address: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: listen.slice(colon + 1) };
}

/** The exporter's flags: where it listens, and the directory the scheduled jobs report to (textfile collector). */
function exporterFlags(listen: string, textfileDir: string): string {
  return `--web.listen-address=${listen} --collector.textfile.directory=${textfileDir}`;
}

function nodeExporterDefaults(flags: string): string {
  return `${MARK} written by \`nexus server provision\` from monitoring.node_exporter in nexus.yml; edits here are replaced.\nARGS="${flags}"\n`;
}

// ufw's numbered list, highest number first (deleting one renumbers those after it), of the rules nexus added.
const dropRules = (comment: string) => `drop_rules() {
  ufw status numbered | sed -n 's/^\\[ *\\([0-9]*\\)\\].*# ${comment} *$/\\1/p' | sort -rn | while read -r number; do ufw --force delete "$number" >/dev/null || exit 1; done
}`;

/** (Re)starts the exporter unless it already runs with exactly these flags (it reads them only at start), then waits for its answer. */
function run(listen: string, textfileDir: string): ProvisionCommand {
  return {
    command: script(
      'nexus-node-exporter-run',
      `listen=$1 address=$2 want="$3 "
${START_SERVICE}
pid() { if [ -d /run/systemd/system ]; then systemctl show -p MainPID --value ${PACKAGE}; else cat /run/prometheus/${PACKAGE}.pid 2>/dev/null; fi; }
flags() { { tr '\\0' '\\n' < "/proc/$1/cmdline"; } 2>/dev/null | tail -n +2 | tr '\\n' ' '; }
pid=$(pid)
if [ -n "$pid" ] && [ "$pid" != 0 ] && [ -d "/proc/$pid" ]; then
  if [ "$(flags "$pid")" != "$want" ]; then
    if [ -d /run/systemd/system ]; then systemctl restart ${PACKAGE}; else service ${PACKAGE} restart >/dev/null; fi || exit 1
    echo "changed: restarted ${PACKAGE} on $listen"
  fi
else
  start_service ${PACKAGE} || exit 1
fi
# Running with these flags and answering: a wrong address (not this host's) fails here, not at Prometheus's first scrape.
for try in $(seq 20); do
  [ "$(flags "$(pid)")" = "$want" ] && curl -gfsS -o /dev/null --max-time 2 "http://$listen/metrics" 2>/dev/null && exit 0
  sleep 0.5
done
running=$(flags "$(pid)")
echo "the node exporter does not answer on http://$listen/metrics (running: \${running:-no}): is $address this host's (ip -brief address)? Its log: journalctl -u ${PACKAGE}, or /var/log/prometheus/${PACKAGE}.log" >&2
exit 1`,
      listen,
      splitListen(listen).address,
      exporterFlags(listen, textfileDir),
    ),
  };
}

/**
 * Exactly the wanted ufw rules for a scrape target (the exporter, by default): each allows one range to its
 * address and port. Rules left by an earlier setting are dropped (found by their comment), so a changed setting converges.
 */
export function exporterFirewall(setting: NodeExporterSetting | undefined, rules: { comment: string; what: string } = { comment: RULE_COMMENT, what: 'node exporter' }): ProvisionCommand {
  const wanted = setting ? setting.allowFrom.map((from) => ({ from, ...splitListen(setting.listen) })) : [];
  const summary = wanted.length > 0 ? `firewall lets ${wanted.map((rule) => rule.from).join(', ')} in to ${setting?.listen ?? ''}` : `firewall has no ${rules.what} rule left`;
  const comment = rules.comment;
  return {
    command: script(
      `${comment}-firewall`,
      `summary=$1; shift
${dropRules(comment)}
allow() {
  while [ $# -ge 3 ]; do ufw allow proto tcp from "$1" to "$2" port "$3" comment ${comment} >/dev/null || return 1; shift 3; done
}
ours() { ufw status numbered | grep -c '# ${comment} *$'; }
before=$(ufw status numbered) || exit 1
[ $# -eq 0 ] && ! printf '%s\\n' "$before" | grep -q '# ${comment} *$' && exit 0
allow "$@" || exit 1
if [ "$(ours)" -ne $(($# / 3)) ]; then
  drop_rules || exit 1
  allow "$@" || exit 1
fi
[ "$before" = "$(ufw status numbered)" ] || echo "changed: $summary"`,
      summary,
      ...wanted.flatMap((rule) => [rule.from, rule.address, rule.port]),
    ),
  };
}

/** Removes an exporter nexus set up (its mark in the defaults file), with its ufw rules; an exporter installed by hand stays. */
function remove(): ProvisionCommand {
  return {
    command: script(
      'nexus-node-exporter-off',
      `grep -qs '^${MARK}' ${NODE_EXPORTER_DEFAULTS} || exit 0
${dropRules(RULE_COMMENT)}
drop_rules || exit 1
# Stopped first: without systemd, the package's own scripts may not stop it (no runlevel in a container).
if [ -d /run/systemd/system ]; then systemctl disable --now ${PACKAGE} >/dev/null 2>&1; else service ${PACKAGE} stop >/dev/null 2>&1; fi
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ${PACKAGE} >/dev/null || exit 1
rm -f ${NODE_EXPORTER_DEFAULTS}
echo "changed: removed ${PACKAGE} and its firewall rules (monitoring.node_exporter is off)"`,
    ),
  };
}

/**
 * The exporter's step: installed with its flags written first (so that its first start already listens where
 * it should), running with them, answering, and reachable through ufw from the allowed ranges only. Off,
 * an exporter nexus had set up is removed.
 */
export function nodeExporterStep(setting: NodeExporterSetting | undefined, textfileDir: string): ProvisionStep {
  if (!setting) return { title: 'Prometheus node exporter: off (one nexus set up is removed)', commands: [remove()] };
  const reach = setting.allowFrom.length > 0 ? `, reachable from ${setting.allowFrom.join(', ')} only` : ', this host only';
  return {
    title: `Prometheus node exporter on ${setting.listen}${reach}`,
    commands: [
      { command: ensureFile(NODE_EXPORTER_DEFAULTS, '644', 'root:root'), stdin: nodeExporterDefaults(exporterFlags(setting.listen, textfileDir)) },
      installPackages(PACKAGE),
      run(setting.listen, textfileDir),
      exporterFirewall(setting),
    ],
  };
}
