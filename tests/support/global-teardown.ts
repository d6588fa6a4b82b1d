import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findSecrets } from './log-scan';

/** The run's API logs must hold no token or password: the whole run is the test. */
function scanRunLogs(dir: string | undefined): void {
  if (!dir) return;
  const files = readdirSync(dir).filter((file) => file.endsWith('.log'));
  const lines = files.flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean));
  rmSync(dir, { recursive: true, force: true });
  // A run that started API tests must have logged something; an empty scan would prove nothing.
  if (files.length > 0 && lines.length === 0) throw new Error('the API logs of this run are empty: the secret scan could not run');
  const found = findSecrets(lines);
  if (found.length > 0) throw new Error(`Secrets in the API logs of this run (${found.length} lines):\n${found.slice(0, 20).join('\n')}`);
  process.stderr.write(`[log scan] ${lines.length} API log lines of this run hold no token or password\n`);
}

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__nexusTestServices;
  for (const stop of (services?.stops ?? []).reverse()) await stop();
  scanRunLogs(process.env.NEXUS_TEST_LOG_DIR);
}
