#!/usr/bin/env -S node --no-warnings
// The CLI straight from the TypeScript sources (via tsx), for working on nexus itself.
(async () => {
  const oclif = await import('@oclif/core');
  await oclif.execute({ development: true, dir: __dirname });
})();
