import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadDeployTarget } from '../../../cli/deploy-config/load';
import { targetDnsPlan } from '../../../cli/services/dns-check';
import { runNexus } from '../../support/cli';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

/** A two-host project with what several hosts need, and the given load balancer. */
function project(loadBalancer?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-dns-plan-'));
  const hosts = ['203.0.113.10', '203.0.113.11'].map((address) => ({ address, host_key: PIN }));
  const production = { hosts, domains: ['shop.example.com'], database: 'external', redis: 'external', env: { MEDIA_STORAGE: 's3' }, ...(loadBalancer ? { load_balancer: loadBalancer } : {}) };
  writeFileSync(join(dir, 'nexus.yml'), stringify({ app: { name: 'shop' }, targets: { production } }));
  return dir;
}

describe('which addresses a target’s names should resolve to', () => {
  const plan = (dir: string) => targetDnsPlan(loadDeployTarget(dir, 'production', {}, { secrets: false }), () => Promise.resolve([]));

  it('When the hosts serve on their own (DNS round robin), then every host address is expected', async () => {
    expect((await plan(project())).expected).toEqual(['203.0.113.10', '203.0.113.11']);
  });

  it('When an nginx load balancer is in front, then only its address is expected', async () => {
    expect((await plan(project({ type: 'nginx', host: { address: '203.0.113.20', host_key: PIN } }))).expected).toEqual(['203.0.113.20']);
  });

  it("When the load balancer is external, then `nexus dns verify --target` asks for its address (--expect) rather than guessing", async () => {
    const result = await runNexus(['dns', 'verify', '--target', 'production', '--dir', project({ type: 'external', trusted: ['10.0.0.0/16'] }), '--json']);
    expect(result.code).toBe(2);
    expect(result.json<{ error: { message: string; suggestions: string[] } }>().error).toMatchObject({
      message: "With an external load balancer, the names point at the balancer's address, which nexus.yml does not know.",
      suggestions: ['pass it with --expect (repeatable), e.g. --expect 198.51.100.7'],
    });
  });
});
