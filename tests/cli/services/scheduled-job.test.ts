import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployTarget } from '../../../cli/deploy-config/load';
import { RecordingExecutor } from '../../../cli/exec/recording-executor';
import { HostDeployer } from '../../../cli/services/host-deployer';
import { ScheduledJob } from '../../../cli/services/scheduled-job';
import { renewalJob } from '../../../cli/ssl-command';

/** What several hosts share (docs/scaling.md). */
const SHARED_SERVICES = { database: 'external', redis: 'external', env: { MEDIA_STORAGE: 's3' } };
const KEYS = ['SHA256:7RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo', 'SHA256:8RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo'];

describe('a scheduled job on several hosts', () => {
  it("When installed, then every host gets the gate before the key, and the key is accepted on the other hosts only from the first host's addresses", async () => {
    const project = mkdtempSync(join(tmpdir(), 'nexus-job-hosts-'));
    writeFileSync(
      join(project, 'nexus.yml'),
      JSON.stringify({ app: { name: 'shop' }, targets: { production: { hosts: [{ address: '203.0.113.10', host_key: KEYS[0] }, { address: '203.0.113.11', host_key: KEYS[1] }], domains: ['shop.example.com'], root: '/srv/shop', ...SHARED_SERVICES } } }),
    );
    const deploy = loadDeployTarget(project, 'production', {}, { secrets: false });
    // The first host makes the key and says it reaches the second from 10.0.0.5 (a private network).
    const first = new RecordingExecutor('203.0.113.10', (command) =>
      command.includes('nexus-job-key') ? { stdout: 'ssh-ed25519 AAAAjob nexus-job-ssl-renew-shop@production\n' } : command.includes('nexus-source-addresses') ? { stdout: '10.0.0.5\n' } : {},
    );
    const second = new RecordingExecutor('203.0.113.11');
    const job = new ScheduledJob([new HostDeployer(first, deploy), new HostDeployer(second, deploy)], deploy, renewalJob(deploy));
    await job.install({ scheduler: 'none', at: { hour: 3, minute: 7 } });

    expect(first.commands.find((command) => command.includes('nexus-source-addresses'))).toContain('203.0.113.11');
    for (const [host, from] of [[first, '127.0.0.1,::1'], [second, '10.0.0.5,203.0.113.10']] as const) {
      const order = host.commands.map((command) => (command.includes('/srv/shop/jobs/ssl-renew/gate.sh') && command.includes('nexus-write') ? 'gate' : command.includes('nexus-authorize-key') ? 'key' : '')).filter(Boolean);
      expect(order).toEqual(['gate', 'key']);
      expect(host.commands.find((command) => command.includes('nexus-authorize-key'))).toContain(`restrict,command="sh /srv/shop/jobs/ssl-renew/gate.sh",from="${from}" ssh-ed25519 AAAAjob nexus-job-ssl-renew-shop@production`);
    }
  });
});
