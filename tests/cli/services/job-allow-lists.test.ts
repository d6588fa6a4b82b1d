import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployTarget } from '../../../cli/deploy-config/load';
import { withDockerHost } from '../../../cli/remote/docker';
import { readFile, writeFile } from '../../../cli/remote/files';
import { fits, type AllowedCall } from '../../../cli/remote/job-allow-list';
import { acquireLock, releaseLock } from '../../../cli/remote/lock';
import { reloadNginx, switchNginxSite } from '../../../cli/remote/nginx-switch';
import { checksumFile, dropDatabase, readEnvironment, removeBackups, restoreIntoNewDatabase, switchDatabase, takeBackup } from '../../../cli/remote/pg-backup';
import { targetPgTools } from '../../../cli/remote/pg-tools';
import type { RemoteCommand } from '../../../cli/remote/shell';
import { verificationFile } from '../../../cli/services/backup-catalog';
import { backupId } from '../../../cli/services/backup-manifest';
import { DeployLock } from '../../../cli/services/deploy-lock';
import { backupJobCalls, renewalCalls } from '../../../cli/services/job-allow-lists';

const CLIENT = { kind: 'client' } as const;
const HOST_KEY = 'SHA256:7RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo';

function target(extra: object = {}) {
  const project = mkdtempSync(join(tmpdir(), 'nexus-allow-'));
  writeFileSync(join(project, 'nexus.yml'), JSON.stringify({ app: { name: 'shop' }, targets: { production: { hosts: [{ address: '203.0.113.10', host_key: HOST_KEY }], domains: ['shop.example.com'], root: '/srv/shop', database: 'external', ...extra } } }));
  return loadDeployTarget(project, 'production', {}, { secrets: false });
}

const allowed = (calls: AllowedCall[], command: RemoteCommand) => calls.some((call) => fits(command, call));

describe("scheduled jobs' allow-lists", () => {
  it('When the renewal job makes its calls, then they fit, also wrapped in env DOCKER_HOST=… when the target names a Docker host; others do not', () => {
    const calls = renewalCalls(target({ docker_host: 'unix:///run/other.sock' }));
    const token = '/srv/shop/acme/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
    const holder = DeployLock.newHolder('nexus ssl renew', { NEXUS_OPERATOR: 'scheduled-job@web-1' });
    for (const command of [writeFile(token, '644'), acquireLock('/srv/shop', holder, 1800), releaseLock('/srv/shop', holder.id), readFile('/srv/shop/certs/shop.example.com/fullchain.pem')]) {
      expect(allowed(calls, command)).toBe(true);
      expect(allowed(calls, withDockerHost(command, 'unix:///run/other.sock'))).toBe(true);
    }
    expect(allowed(calls, withDockerHost(writeFile(token, '644'), 'tcp://evil:2375'))).toBe(false);
    expect(allowed(calls, reloadNginx(['sudo', '-n', '/usr/sbin/nginx']))).toBe(true);
    expect(allowed(calls, reloadNginx(['/bin/sh', '-c', 'id']))).toBe(false);
    // nginx's master runs as root: a key that writes its configuration would be a root key.
    expect(allowed(calls, switchNginxSite('/srv/shop/nginx/site.conf', ['sudo', '-n', '/usr/sbin/nginx']))).toBe(false);
    expect(allowed(calls, writeFile('/srv/shop/nginx/site.conf', '644'))).toBe(false);
    expect(allowed(calls, writeFile('/srv/shop/jobs/ssl-renew/allowed-calls', '600'))).toBe(false);
    expect(allowed(calls, readFile('/srv/shop/jobs/ssl-renew/secrets'))).toBe(false);
    expect(allowed(calls, releaseLock('/srv/shop'))).toBe(false);
  });

  it('When the backup job makes its calls, then they fit for its own scheduled backups and scratch databases only', () => {
    const calls = backupJobCalls(target());
    const id = backupId(new Date('2026-12-02T03:15:00Z'), 'scheduled');
    expect(allowed(calls, takeBackup(CLIENT, `/srv/shop/backups/${id}.dump`))).toBe(true);
    expect(allowed(calls, readFile(`/srv/shop/backups/${id}.dump`))).toBe(true);
    expect(allowed(calls, dropDatabase(CLIENT, 'shop_verify_20261202031500_ab12', 'postgres'))).toBe(true);
    expect(allowed(calls, writeFile(verificationFile('/srv/shop/backups', id), '600'))).toBe(true);
    expect(allowed(calls, writeFile(verificationFile('/srv/shop/backups', backupId(new Date(), 'manual')), '600'))).toBe(false);
    expect(allowed(calls, removeBackups('/srv/shop/backups', [backupId(new Date(), 'manual'), `${backupId(new Date(), 'pre-migration')}-r1`]))).toBe(true);
    expect(allowed(calls, takeBackup(CLIENT, '/srv/shop/jobs/db-backup/allowed-calls'))).toBe(false);
    expect(allowed(calls, readFile('/srv/shop/backups/../jobs/db-backup/secrets'))).toBe(false);
    expect(allowed(calls, dropDatabase(CLIENT, 'shop', 'postgres'))).toBe(false);
    expect(allowed(calls, removeBackups('/srv/shop/backups', ['../releases']))).toBe(false);
    // The tools run on the host for an external database; the container form is not what this job does.
    expect(allowed(calls, takeBackup({ kind: 'service', dir: '/srv/shop/services', project: 'shop-services' }, `/srv/shop/backups/${id}.dump`))).toBe(false);
  });

  it('When the backup job of an on-host database makes its calls, then they fit with the tools in its own services container only, and never a switch or a drop of the live database', () => {
    const deploy = target({ database: 'host', docker_host: 'unix:///run/other.sock' });
    const calls = backupJobCalls(deploy);
    const tools = targetPgTools(deploy);
    expect(tools).toEqual({ kind: 'service', dir: '/srv/shop/services', project: 'shop-services', dockerHost: 'unix:///run/other.sock' });
    const id = backupId(new Date('2026-12-02T03:15:00Z'), 'scheduled');
    const dump = `/srv/shop/backups/${id}.dump`;
    const scratch = 'nexus_verify_20261202031500_ab12';
    for (const command of [takeBackup(tools, dump), restoreIntoNewDatabase(tools, dump, scratch, 'postgres'), dropDatabase(tools, scratch, 'postgres'), checksumFile(dump), readFile(dump)]) expect(allowed(calls, command)).toBe(true);
    // Another project, directory or Docker daemon, or the host's own client tools: refused.
    for (const other of [{ ...tools, project: 'other-services' }, { ...tools, dir: '/srv/other/services' }, { ...tools, dockerHost: 'tcp://evil:2375' }, CLIENT]) expect(allowed(calls, takeBackup(other, dump))).toBe(false);
    expect(allowed(calls, dropDatabase(tools, 'nexus', 'postgres'))).toBe(false);
    expect(allowed(calls, restoreIntoNewDatabase(tools, dump, 'nexus', 'postgres'))).toBe(false);
    expect(allowed(calls, switchDatabase(tools, 'nexus', scratch, 'nexus_before_restore_20261202031500_ab12', 'postgres'))).toBe(false);
    expect(allowed(calls, readEnvironment(tools))).toBe(false);
    expect(allowed(calls, takeBackup(tools, '/srv/shop/backups/20261202T031500Z-manual.dump'))).toBe(false);
  });
});
