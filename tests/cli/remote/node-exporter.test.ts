import { START_SERVICE } from '../../../cli/remote/host-setup';
import { nodeExporterStep, splitListen } from '../../../cli/remote/node-exporter';

/** Each command of the step by its script's name ($0), with its parameters and stdin. */
function commandsOf(step: ReturnType<typeof nodeExporterStep>) {
  return step.commands.map(({ command, stdin }) => ({ name: command[3], body: command[2] ?? '', parameters: command.slice(4), stdin }));
}

describe('remote command builders: the Prometheus node exporter', () => {
  it('When it listens on loopback, then its flags are written before the package is installed, it runs with them, and ufw gets no rule (stale ones go)', () => {
    const step = nodeExporterStep({ listen: '127.0.0.1:9100', allowFrom: [] }, '/srv/shop/metrics');
    expect(step.title).toBe('Prometheus node exporter on 127.0.0.1:9100, this host only');
    const [defaults, install, run, firewall] = commandsOf(step);
    expect(defaults).toMatchObject({ name: 'nexus-ensure-file', parameters: ['/etc/default/prometheus-node-exporter', '644', 'root:root', ''] });
    expect(defaults?.stdin).toBe('# nexus: written by `nexus server provision` from monitoring.node_exporter in nexus.yml; edits here are replaced.\nARGS="--web.listen-address=127.0.0.1:9100 --collector.textfile.directory=/srv/shop/metrics"\n');
    expect(install?.name).toBe('nexus-packages');
    expect(install?.body).toContain('for package in prometheus-node-exporter; do');
    expect(install?.body).toContain('apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing');
    expect(run).toMatchObject({ name: 'nexus-node-exporter-run', parameters: ['127.0.0.1:9100', '127.0.0.1', '--web.listen-address=127.0.0.1:9100 --collector.textfile.directory=/srv/shop/metrics'] });
    expect(firewall).toMatchObject({ name: 'nexus-node-exporter-firewall', parameters: ['firewall has no node exporter rule left'] });
    expect(step.commands).toHaveLength(4);
  });

  it('When it listens on a private address, then ufw lets each allowed range in to that address and port only', () => {
    const v4 = commandsOf(nodeExporterStep({ listen: '10.0.0.5:9100', allowFrom: ['10.0.0.2', '10.0.1.0/24'] }, '/srv/shop/metrics'));
    expect(v4[3]?.parameters).toEqual(['firewall lets 10.0.0.2, 10.0.1.0/24 in to 10.0.0.5:9100', '10.0.0.2', '10.0.0.5', '9100', '10.0.1.0/24', '10.0.0.5', '9100']);
    expect(v4[3]?.body).toContain('ufw allow proto tcp from "$1" to "$2" port "$3" comment nexus-node-exporter');
    const v6 = nodeExporterStep({ listen: '[fd00::5]:9101', allowFrom: ['fc00::/7'] }, '/srv/shop/metrics');
    expect(v6.title).toBe('Prometheus node exporter on [fd00::5]:9101, reachable from fc00::/7 only');
    expect(commandsOf(v6)[2]?.parameters).toEqual(['[fd00::5]:9101', 'fd00::5', '--web.listen-address=[fd00::5]:9101 --collector.textfile.directory=/srv/shop/metrics']);
    expect(commandsOf(v6)[3]?.parameters.slice(1)).toEqual(['fc00::/7', 'fd00::5', '9101']);
  });

  it('When the exporter runs, then it is started as the other services are (systemd, else its init script) and restarted only when its flags differ', () => {
    const body = commandsOf(nodeExporterStep({ listen: '127.0.0.1:9100', allowFrom: [] }, '/srv/shop/metrics'))[2]?.body ?? '';
    expect(body).toContain(START_SERVICE);
    expect(body).toContain('start_service prometheus-node-exporter');
    expect(body).toContain('if [ -d /run/systemd/system ]; then systemctl restart prometheus-node-exporter; else service prometheus-node-exporter restart >/dev/null; fi');
    // Compared with what the running process was started with, not with the file (a failed restart is retried on the next run).
    expect(body).toContain('[ "$(flags "$pid")" != "$want" ]');
    expect(body).toContain('curl -gfsS -o /dev/null --max-time 2 "http://$listen/metrics"');
  });

  it('When it is off, then one command removes an exporter nexus set up (its mark in the file), with its rules, and leaves any other alone', () => {
    const step = nodeExporterStep(undefined, '/srv/shop/metrics');
    expect(step.title).toBe('Prometheus node exporter: off (one nexus set up is removed)');
    const [off] = commandsOf(step);
    expect(step.commands).toHaveLength(1);
    expect(off?.name).toBe('nexus-node-exporter-off');
    expect(off?.body.split('\n')[0]).toBe("grep -qs '^# nexus:' /etc/default/prometheus-node-exporter || exit 0");
    const order = ['drop_rules || exit 1', 'service prometheus-node-exporter stop', 'apt-get purge -y -qq prometheus-node-exporter'].map((line) => off?.body.indexOf(line));
    expect(order).toEqual([...(order as number[])].sort((a, b) => a - b));
    expect(order.every((index) => (index ?? -1) > 0)).toBe(true);
  });

  it.each(['10.0.0.5:9100 ; reboot', '$(reboot):9100', 'localhost:9100', '10.0.0.5'])('When a listen address is not <IP>:<port> (%s), then nothing is built', (listen) => {
    expect(() => splitListen(listen)).toThrow('not an <address>:<port>');
    expect(() => nodeExporterStep({ listen, allowFrom: [] }, '/srv/shop/metrics')).toThrow();
  });
});
