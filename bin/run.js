#!/usr/bin/env node
// The built CLI (dist/). `npm install` builds it (the "prepare" script).
(async () => {
  const oclif = await import('@oclif/core');
  await oclif.execute({ dir: __dirname });
})();
