import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DeployConfigError, loadDeployTarget } from '../../../cli/deploy-config/load';
import { apiMetricsFor, nodeExporterFor } from '../../../cli/deploy-config/monitoring';
import { requiredSecrets } from '../../../cli/deploy-config/secrets';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';
const SECRETS = { JWT_SECRET: 'x', POSTGRES_PASSWORD: 'pg', DATABASE_URL: 'postgres://db/shop', REDIS_URL: 'redis://cache:6379/0', MEDIA_S3_ACCESS_KEY_ID: 'k', MEDIA_S3_SECRET_ACCESS_KEY: 's', METRICS_TOKEN: 'a-metrics-token-of-24-chars' };
const KEY = 'targets.production.monitoring.node_exporter';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Loads a one-target nexus.yml whose target has these keys over one host at 203.0.113.10. */
function load(target: object) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-monitoring-'));
  dirs.push(dir);
  const production = { hosts: [{ address: '203.0.113.10', host_key: PIN }], domains: ['shop.example.com'], ...target };
  writeFileSync(join(dir, 'nexus.yml'), stringify({ targets: { production } }));
  return loadDeployTarget(dir, 'production', SECRETS);
}

function problemOf(target: object): DeployConfigError {
  try {
    load(target);
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError);
    return error as DeployConfigError;
  }
  throw new Error('expected a DeployConfigError');
}

/** Several app hosts (with the shared services several need) behind an nginx balancer at 203.0.113.20. */
const SEVERAL = {
  hosts: ['203.0.113.10', '203.0.113.11'].map((address) => ({ address, host_key: PIN })),
  database: 'external',
  redis: 'external',
  env: { MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'shop-media' },
  load_balancer: { type: 'nginx', host: { address: '203.0.113.20', host_key: PIN } },
};

describe('monitoring.node_exporter in nexus.yml', () => {
  it('When it is not set, then it is off; when true, it listens on 127.0.0.1:9100 and the firewall lets nobody in', () => {
    expect(load({}).target.monitoring).toEqual({ node_exporter: false, api_metrics: false });
    expect(nodeExporterFor(load({}).target.monitoring, '203.0.113.10')).toBeUndefined();
    const on = load({ monitoring: { node_exporter: true } }).target.monitoring;
    expect(nodeExporterFor(on, '203.0.113.10')).toEqual({ listen: '127.0.0.1:9100', allowFrom: [] });
  });

  it.each([
    ['10.0.0.5:9100', '10.0.0.0/8'],
    ['172.20.1.5:9100', '172.16.0.0/12'],
    ['192.168.1.5:9101', '192.168.0.0/16'],
    ['100.101.102.103:9100', '100.64.0.0/10'],
    ['[fd12:3456::5]:9100', 'fc00::/7'],
  ])('When it listens on the private address %s, then ufw lets in %s only (the private range it is in)', (listen, range) => {
    const monitoring = load({ monitoring: { node_exporter: { listen } } }).target.monitoring;
    expect(nodeExporterFor(monitoring, '203.0.113.10')).toEqual({ listen, allowFrom: [range] });
  });

  it.each([
    ['0.0.0.0:9100', `${KEY}.listen: 0.0.0.0:9100 listens on every interface, public ones included, and the metrics would be open to the internet; use 127.0.0.1:9100`],
    ['[::]:9100', `${KEY}.listen: [::]:9100 listens on every interface`],
    ['203.0.113.10:9100', `${KEY}.listen: 203.0.113.10 is neither a loopback nor a private address, and the metrics would be open to the internet; use 127.0.0.1:9100 (scraped on the host, or through an SSH tunnel) or the host's address on a private network (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7)`],
    ['[2001:db8::5]:9100', `${KEY}.listen: 2001:db8::5 is neither a loopback nor a private address`],
    ['169.254.1.1:9100', `${KEY}.listen: 169.254.1.1 is neither a loopback nor a private address`],
    ['localhost:9100', `${KEY}.listen: "localhost:9100" is not an <IP address>:<port>`],
    ['10.0.0.5', `${KEY}.listen: "10.0.0.5" is not an <IP address>:<port>`],
    ['10.0.0.5:70000', `${KEY}.listen: "10.0.0.5:70000" is not an <IP address>:<port>`],
  ])('When it would listen on %s, then the key is refused (exit 3) with why and what to use instead', (listen, message) => {
    const error = problemOf({ monitoring: { node_exporter: { listen } } });
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(message);
    expect(error.suggestions).toEqual(['docs/observability.md: metrics for Prometheus, and where they may listen']);
  });

  it('When allow_from names a public range, or one of another IP version only, then it is refused by index', () => {
    expect(problemOf({ monitoring: { node_exporter: { listen: '10.0.0.5:9100', allow_from: ['10.0.0.2', '0.0.0.0/0', '10.0.0.0/4'] } } }).message).toMatch(
      new RegExp(`${KEY.replace(/\./g, '\\.')}\\.allow_from\\[1\\]: 0\\.0\\.0\\.0/0 is not an address or range inside a private network .*\\n.*allow_from\\[2\\]: 10\\.0\\.0\\.0/4 is not`),
    );
    expect(problemOf({ monitoring: { node_exporter: { listen: '10.0.0.5:9100', allow_from: ['fd00::/8'] } } }).message).toContain(
      `${KEY}.allow_from: no range of ${KEY}.listen's IP version (10.0.0.5:9100), so nothing could reach it; add one such as 10.0.0.0/8`,
    );
    const monitoring = load({ monitoring: { node_exporter: { listen: '10.0.0.5:9100', allow_from: ['10.0.0.2', '10.0.1.0/24', 'fd00::/8'] } } }).target.monitoring;
    expect(nodeExporterFor(monitoring, '203.0.113.10')).toEqual({ listen: '10.0.0.5:9100', allowFrom: ['10.0.0.2', '10.0.1.0/24'] });
  });

  it('When it is neither a boolean nor the object, or the object has a typo, then the schema names the key', () => {
    expect(problemOf({ monitoring: { node_exporter: 'yes' } }).message).toContain(`${KEY}: expected true, false, or { listen: "<address>:<port>"`);
    expect(problemOf({ monitoring: { node_exporter: { listne: '10.0.0.5:9100' } } }).message).toContain(`${KEY}: Unrecognized key: "listne"`);
  });

  describe('several hosts (the nginx balancer\'s host is provisioned too)', () => {
    it('When one private address is given for all, then it is refused with the per-host form to write; loopback is fine for all', () => {
      expect(problemOf({ ...SEVERAL, monitoring: { node_exporter: { listen: '10.0.0.10:9100' } } }).message).toContain(
        `${KEY}.listen: 10.0.0.10 can be the address of one host only, and 3 hosts are provisioned; give each its own: listen: { "203.0.113.10": <its private address>:9100, "203.0.113.11": <its private address>:9100, "203.0.113.20": <its private address>:9100 }`,
      );
      const monitoring = load({ ...SEVERAL, monitoring: { node_exporter: true } }).target.monitoring;
      expect(['203.0.113.10', '203.0.113.20'].map((host) => nodeExporterFor(monitoring, host)?.listen)).toEqual(['127.0.0.1:9100', '127.0.0.1:9100']);
    });

    it('When each host has its own address, then each gets it; a host left out, an unknown one or a public address is refused by name', () => {
      const listen = { '203.0.113.10': '10.0.0.10:9100', '203.0.113.11': '10.0.0.11:9100', '203.0.113.20': '127.0.0.1:9100' };
      const monitoring = load({ ...SEVERAL, monitoring: { node_exporter: { listen } } }).target.monitoring;
      expect(Object.keys(listen).map((host) => nodeExporterFor(monitoring, host))).toEqual([
        { listen: '10.0.0.10:9100', allowFrom: ['10.0.0.0/8'] },
        { listen: '10.0.0.11:9100', allowFrom: ['10.0.0.0/8'] },
        { listen: '127.0.0.1:9100', allowFrom: [] },
      ]);
      const message = problemOf({ ...SEVERAL, monitoring: { node_exporter: { listen: { '203.0.113.10': '203.0.113.10:9100', '203.0.113.99': '10.0.0.99:9100' } } } }).message;
      expect(message.split('\n').filter((line) => line.startsWith('  '))).toEqual([
        `  ${KEY}.listen["203.0.113.10"]: 203.0.113.10 is neither a loopback nor a private address, and the metrics would be open to the internet; use 127.0.0.1:9100 (scraped on the host, or through an SSH tunnel) or the host's address on a private network (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7)`,
        `  ${KEY}.listen: no address for 203.0.113.11; add "203.0.113.11": <its private address>:9100 (or 127.0.0.1:9100)`,
        `  ${KEY}.listen: no address for 203.0.113.20; add "203.0.113.20": <its private address>:9100 (or 127.0.0.1:9100)`,
        `  ${KEY}.listen["203.0.113.99"]: 203.0.113.99 is not one of the target's hosts (203.0.113.10, 203.0.113.11, 203.0.113.20)`,
      ]);
    });
  });
});

describe('monitoring.api_metrics in nexus.yml', () => {
  const API_KEY = 'targets.production.monitoring.api_metrics';

  it('When true, then each app host serves the API metrics on 127.0.0.1:9464 through nginx, and METRICS_TOKEN becomes a required secret', () => {
    const loaded = load({ monitoring: { api_metrics: true } });
    expect(apiMetricsFor(loaded.target.monitoring, '203.0.113.10')).toEqual({ listen: '127.0.0.1:9464', allowFrom: [] });
    expect(requiredSecrets(loaded.app, loaded.target).find((secret) => secret.name === 'METRICS_TOKEN')).toMatchObject({ value: 'random' });
    expect(requiredSecrets(load({}).app, load({}).target).map((secret) => secret.name)).not.toContain('METRICS_TOKEN');
  });

  it.each([
    ['0.0.0.0:9464', 'listens on every interface'],
    ['203.0.113.10:9464', 'neither a loopback nor a private address'],
    ['shop.example.com:9464', 'is not an <IP address>:<port>'],
  ])('When it listens on %s, then loading refuses it (exit 3) naming monitoring.api_metrics.listen', (listen, why) => {
    const error = problemOf({ monitoring: { api_metrics: { listen } } });
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`${API_KEY}.listen: `);
    expect(error.message).toContain(why);
  });

  it('When several app hosts sit behind a balancer, then one address per app host is asked for, and none for the balancer (it has no API)', () => {
    const shared = problemOf({ ...SEVERAL, monitoring: { api_metrics: { listen: '10.0.0.5:9464' } } });
    expect(shared.message).toContain(`${API_KEY}.listen: 10.0.0.5 can be the address of one host only, and 2 hosts are provisioned`);
    const listen = { '203.0.113.10': '10.0.0.10:9464', '203.0.113.11': '10.0.0.11:9464' };
    const monitoring = load({ ...SEVERAL, monitoring: { api_metrics: { listen, allow_from: ['10.0.0.2'] } } }).target.monitoring;
    expect(apiMetricsFor(monitoring, '203.0.113.11')).toEqual({ listen: '10.0.0.11:9464', allowFrom: ['10.0.0.2'] });
    // Without a host (`nexus config nginx`), a per-host setting renders no metrics listener.
    expect(apiMetricsFor(monitoring, undefined)).toBeUndefined();
  });
});
