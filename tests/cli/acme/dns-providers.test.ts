import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsProviderFor } from '../../../cli/acme/dns-providers';
import { Secret } from '../../../cli/deploy-config/secrets';
import { targetSchema } from '../../../cli/deploy-config/schema';
import { RecordingExecutor } from '../../../cli/exec/recording-executor';

const HOST_KEY = 'SHA256:7RCjUkY4Qs5UWvVyePJoG0cqXQ1RtG3T0V3QhJcfXXo';

/** A hook that records its whole environment, one NAME=value per line. */
function recordingHook(): { command: string; seen: () => Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-dns-hook-'));
  const command = join(dir, 'hook.sh');
  const log = join(dir, 'env.txt');
  writeFileSync(command, `#!/bin/sh\nenv > ${log}\n`);
  chmodSync(command, 0o755);
  const seen = () => new Map(readFileSync(log, 'utf8').trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]));
  return { command, seen };
}

function target(provider: object) {
  return targetSchema.parse({ hosts: [{ address: '203.0.113.10', host_key: HOST_KEY }], domains: ['shop.example.com'], tls: { challenge: 'dns-01', dns_provider: provider } });
}

describe('DNS providers: the exec hook', () => {
  const operatorEnvironment = { ...process.env, OPERATOR_ONLY_SECRET: 'must-not-leak', AWS_SECRET_ACCESS_KEY: 'must-not-leak-either' };
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = process.env;
    process.env = operatorEnvironment;
  });
  afterEach(() => {
    process.env = saved;
  });

  it("When the hook runs, then it gets PATH, HOME, the locale, its own NEXUS_DNS_* variables and the ones nexus.yml names, and nothing else of the operator's environment", async () => {
    const hook = recordingHook();
    const provider = dnsProviderFor(target({ type: 'exec', command: [hook.command], env: ['DNS_API_TOKEN'] }), new Map([['DNS_API_TOKEN', new Secret('token-123')]]), new RecordingExecutor('203.0.113.10'));
    await provider?.present('_acme-challenge.shop.example.com.', 'digest-value');
    const seen = hook.seen();
    expect(seen.get('NEXUS_DNS_ACTION')).toBe('present');
    expect(seen.get('NEXUS_DNS_NAME')).toBe('_acme-challenge.shop.example.com.');
    expect(seen.get('NEXUS_DNS_VALUE')).toBe('digest-value');
    expect(seen.get('DNS_API_TOKEN')).toBe('token-123');
    expect(seen.get('PATH')).toBe(process.env.PATH);
    expect(seen.has('OPERATOR_ONLY_SECRET')).toBe(false);
    expect(seen.has('AWS_SECRET_ACCESS_KEY')).toBe(false);
    const allowed = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NEXUS_DNS_ACTION', 'NEXUS_DNS_NAME', 'NEXUS_DNS_VALUE', 'DNS_API_TOKEN', 'PWD', 'SHLVL', '_']);
    expect([...seen.keys()].filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('When nexus.yml names a variable that is not an environment variable name, then the configuration is refused', () => {
    expect(() => target({ type: 'exec', command: ['/bin/true'], env: ['dns token'] })).toThrow(/environment variable name/);
  });
});
