import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** With NEXUS_TEST_STRICT=1 (CI) a missing system component fails the run instead of skipping tests. */
export const STRICT = process.env.NEXUS_TEST_STRICT === '1';

const EXTRA_PATHS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_PATHS]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * `describe` when the component is available; otherwise a skip with the reason printed, or, in strict
 * mode, a failure.
 */
export function describeWith(component: string, available: boolean, name: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (STRICT) {
    describe(name, () => {
      it(`requires ${component}`, () => {
        throw new Error(`${component} is not available and NEXUS_TEST_STRICT=1`);
      });
    });
    return;
  }
  process.stderr.write(`[skip] ${name}: ${component} is not available\n`);
  describe.skip(name, body);
}

/** Signals a process the harness started and resolves once it has exited (at once if it already has). */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
