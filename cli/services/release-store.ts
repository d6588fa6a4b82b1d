import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { listReleases, releasesToPrune, removeReleases, switchCurrent, type ReleaseRecord } from '../remote/releases';

export interface ReleaseListing {
  current?: string;
  releases: (ReleaseRecord & { current: boolean })[];
}

function failure(action: string, result: { code: number | null; stderr: string }): NexusError {
  return new NexusError(`Could not ${action}: ${result.stderr.trim() || `exit ${result.code}`}`, { code: 'RELEASES_FAILED' });
}

/** The releases on one host: `<root>/releases/<id>/release.json`, and `<root>/current` pointing at one of them. */
export class ReleaseStore {
  constructor(
    private readonly exec: Executor,
    private readonly root: string,
  ) {}

  async list(): Promise<ReleaseListing> {
    const result = await this.exec.run(listReleases(this.root));
    if (result.code !== 0) throw failure('list the releases', result);
    let current: string | undefined;
    const releases: ReleaseListing['releases'] = [];
    for (const line of result.stdout.split('\n')) {
      if (line.startsWith('current ')) current = line.slice('current '.length).trim();
      const match = /^release (\S+) (.*)$/.exec(line);
      if (!match) continue;
      const [, id = '', json = ''] = match;
      let record: Partial<ReleaseRecord> = {};
      try {
        record = JSON.parse(json) as ReleaseRecord;
      } catch {
        // A directory without a readable release.json (an interrupted upload) is listed with its id only.
      }
      releases.push({ ...(record as ReleaseRecord), id, current: false });
    }
    for (const release of releases) release.current = release.id === current;
    return { current, releases };
  }

  async switchTo(id: string): Promise<void> {
    const result = await this.exec.run(switchCurrent(this.root, id));
    if (result.code !== 0) throw failure(`make ${id} current`, result);
  }

  /** Keeps the newest `keep` releases, never deleting the current one or those in `protect`. @returns the deleted ids */
  async prune(keep: number, protect: readonly string[] = []): Promise<string[]> {
    const { current, releases } = await this.list();
    const doomed = releasesToPrune(releases.map((release) => release.id), keep, current, protect);
    if (doomed.length === 0) return [];
    const result = await this.exec.run(removeReleases(this.root, doomed));
    if (result.code !== 0) throw failure('delete old releases', result);
    return doomed;
  }
}
