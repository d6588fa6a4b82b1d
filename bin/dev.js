#!/usr/bin/env -S node --no-warnings
// The CLI straight from the TypeScript sources (via tsx), for working on nexus itself. oclif prefers the
// command paths recorded in oclif.manifest.json (which point into dist/), so a manifest left by
// `npm run build` is removed first; the next build writes it again.
(async () => {
  const { rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  rmSync(join(__dirname, '..', 'oclif.manifest.json'), { force: true });
  const oclif = await import('@oclif/core');
  await oclif.execute({ development: true, dir: __dirname });
})();
