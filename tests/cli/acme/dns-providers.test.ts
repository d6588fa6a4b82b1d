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

describe('DNS providers: RFC 2136', () => {
  const provider = (secret: string) => {
    const host = new RecordingExecutor('203.0.113.10');
    const dns = dnsProviderFor(target({ type: 'rfc2136', server: '203.0.113.53', key_name: 'acme-key' }), new Map([['RFC2136_TSIG_SECRET', new Secret(secret)]]), host);
    return { dns, host };
  };

  it('When a record name or value would add a line to nsupdate\'s input, or the TSIG secret is not base64, then nothing is sent', async () => {
    const { dns, host } = provider('c2VjcmV0LWtleS1ieXRlcw==');
    await expect(dns?.present('_acme-challenge.shop.example.com.\nupdate delete example.com A\n', 'x')).rejects.toThrow(/not a plain record name/);
    await expect(dns?.present('_acme-challenge.shop.example.com.', 'v"\nupdate delete example.com A')).rejects.toThrow(/not a plain token/);
    const badSecret = provider('abc"; }; include "/etc/passwd');
    await expect(badSecret.dns?.present('_acme-challenge.shop.example.com.', 'value')).rejects.toThrow(/RFC2136_TSIG_SECRET is not a base64 TSIG key/);
    expect([...host.commands, ...badSecret.host.commands]).toEqual([]);
    await dns?.present('_acme-challenge.shop.example.com.', 'Tk9UX0FfUkVBTF9ESUdFU1Q');
    expect(host.commands).toHaveLength(1);
  });
});
