import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { untraversable, type OsIdentity } from '../../../cli/services/postgres-user';

describe('untraversable', () => {
  let base: string;
  let stranger: OsIdentity;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'nexus-traverse-'));
    chmodSync(base, 0o755);
    mkdirSync(join(base, 'home', 'clone', 'data'), { recursive: true });
    const { uid, gid } = statSync(base);
    // Nobody we know: neither the owner nor in the group of anything here.
    stranger = { uid: uid + 54_321, gid: gid + 54_321, groups: [gid + 54_321] };
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('When every directory lets others through, then nothing blocks the way', () => {
    chmodSync(join(base, 'home'), 0o755);
    expect(untraversable(join(base, 'home', 'clone', 'data'), stranger)).toEqual([]);
  });

  it('When a directory on the way is mode 700 (like /root), then it is named, for others but not for its owner', () => {
    chmodSync(join(base, 'home'), 0o700);
    expect(untraversable(join(base, 'home', 'clone', 'data'), stranger)).toEqual([join(base, 'home')]);
    const owner = { ...stranger, uid: statSync(join(base, 'home')).uid };
    expect(untraversable(join(base, 'home', 'clone', 'data'), owner)).toEqual([]);
  });

  it("When the group may enter but others may not, then the group's members pass and a user who does not exist yet is blocked", () => {
    chmodSync(join(base, 'home'), 0o710);
    const { gid } = statSync(join(base, 'home'));
    expect(untraversable(join(base, 'home', 'clone'), { ...stranger, groups: [...stranger.groups, gid] })).toEqual([]);
    expect(untraversable(join(base, 'home', 'clone'), undefined)).toEqual([join(base, 'home')]);
  });

  it('When part of the path does not exist yet, then only the existing directories are judged', () => {
    chmodSync(join(base, 'home'), 0o755);
    expect(untraversable(join(base, 'home', 'clone', 'not', 'yet'), stranger)).toEqual([]);
  });
});
