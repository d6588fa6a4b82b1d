import { existsSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../../../cli/exec/executor';
import { ReleaseStore } from '../../../cli/services/release-store';
import { runNexus } from '../../support/cli';
import { connectToSshd, sshdProject } from '../../support/deploy-project';
import { describeWith } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

const IDS = ['20261101T100000Z-1.0.0', '20261102T100000Z-1.1.0', '20261103T100000Z-1.2.0', '20261104T100000Z-1.3.0'];

describeWith('sshd', sshdAvailable, 'releases on a host over a real sshd', () => {
  let sshd: RunningSshd;
  let executor: Executor;
  let root: string;
  let project: string;

  beforeAll(async () => {
    sshd = await startSshd();
    root = join(sshd.remoteRoot, 'srv');
    executor = await connectToSshd(sshd);
    project = sshdProject(sshd, root);
  });
  afterAll(async () => {
    await executor.close();
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });
  beforeEach(async () => {
    rmSync(root, { recursive: true, force: true });
    for (const [index, id] of IDS.entries()) {
      const record = { id, version: id.split('-')[1], image: `shop:${id.split('-')[1]}`, colour: index % 2 ? 'green' : 'blue', port: 8001 + (index % 2), created_at: '2026-11-01T10:00:00Z', created_by: 'ci' };
      await executor.run(['sh', '-c', 'mkdir -p "$1" && cat > "$1/release.json"', 'seed', join(root, 'releases', id)], { stdin: JSON.stringify(record, null, 2) });
    }
  });

  it('When a release is made current, then the symlink moves atomically and the listing marks it', async () => {
    const store = new ReleaseStore(executor, root);
    expect((await store.list()).current).toBeUndefined();
    await store.switchTo(IDS[2] as string);
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${IDS[2]}`);
    const listing = await store.list();
    expect(listing.current).toBe(IDS[2]);
    expect(listing.releases.map((release) => [release.id, release.current, release.image])).toEqual([
      [IDS[0], false, 'shop:1.0.0'],
      [IDS[1], false, 'shop:1.1.0'],
      [IDS[2], true, 'shop:1.2.0'],
      [IDS[3], false, 'shop:1.3.0'],
    ]);
    await store.switchTo(IDS[3] as string);
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${IDS[3]}`);
    expect(existsSync(join(root, 'current.next'))).toBe(false);
  });

  it('When switching to a release that is not there, then it fails and current stays', async () => {
    const store = new ReleaseStore(executor, root);
    await store.switchTo(IDS[1] as string);
    await expect(store.switchTo('20991231T000000Z-9.9.9')).rejects.toThrow(`Could not make 20991231T000000Z-9.9.9 current: no release 20991231T000000Z-9.9.9 in ${root}/releases`);
    expect(readlinkSync(join(root, 'current'))).toBe(`releases/${IDS[1]}`);
  });

  it('When pruning to 2 with an old release current, then the current one and the newest survive', async () => {
    const store = new ReleaseStore(executor, root);
    await store.switchTo(IDS[0] as string);
    expect(await store.prune(2)).toEqual([IDS[1], IDS[2]]);
    expect((await store.list()).releases.map((release) => release.id)).toEqual([IDS[0], IDS[3]]);
  });

  it('When listed through the CLI, then --json gives every host with its releases', async () => {
    await new ReleaseStore(executor, root).switchTo(IDS[3] as string);
    const result = await runNexus(['deploy', 'releases', '--target', 'production', '--dir', project, '--json'], { env: { JWT_SECRET: 'x' } });
    expect(result.code).toBe(0);
    const { hosts } = result.json<{ hosts: { host: string; current: string; releases: { id: string; current: boolean }[] }[] }>();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ host: '127.0.0.1', current: IDS[3] });
    expect(hosts[0]?.releases.filter((release) => release.current).map((release) => release.id)).toEqual([IDS[3]]);
  });
});
