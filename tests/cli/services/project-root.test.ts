import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../cli/package-root';
import { projectRoot } from '../../../cli/project-root';

describe('projectRoot', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'nexus-root-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('When nexus.yml is some levels up, then the directory holding it is the root', () => {
    writeFileSync(join(base, 'nexus.yml'), 'app: {}\n');
    mkdirSync(join(base, 'a', 'b', 'c'), { recursive: true });
    expect(projectRoot(join(base, 'a', 'b', 'c'))).toBe(base);
  });

  it('When only a .nexus directory marks it (a dev stack ran there), then that is the root, the nearest one winning', () => {
    mkdirSync(join(base, '.nexus', 'dev'), { recursive: true });
    mkdirSync(join(base, 'inner', '.nexus'), { recursive: true });
    mkdirSync(join(base, 'inner', 'src'), { recursive: true });
    mkdirSync(join(base, 'other'), { recursive: true });
    expect(projectRoot(join(base, 'inner', 'src'))).toBe(join(base, 'inner'));
    expect(projectRoot(join(base, 'other'))).toBe(base);
  });

  it('When a file named .nexus is in the way, then it is not taken for the project directory', () => {
    writeFileSync(join(base, '.nexus'), '');
    mkdirSync(join(base, 'new'));
    expect(projectRoot(join(base, 'new'))).toBe(join(base, 'new'));
  });

  it('When nothing marks a project above, then the start directory itself is the root (a new project)', () => {
    mkdirSync(join(base, 'fresh'));
    expect(projectRoot(join(base, 'fresh'))).toBe(join(base, 'fresh'));
  });

  it("When run inside this clone of nexus, then the clone's top is the root, before any .nexus exists", () => {
    expect(projectRoot(join(packageRoot(), 'cli', 'commands'))).toBe(packageRoot());
  });
});
