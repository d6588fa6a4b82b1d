import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The directory of nexus's own package.json (the repository, or the installed package), from source or dist/. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
