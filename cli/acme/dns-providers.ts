import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TargetConfig } from '../deploy-config/schema';
import { NexusError } from '../errors';

const run = promisify(execFile);

/** Publishes and removes the TXT records of dns-01 challenges. */
export interface DnsProvider {
  readonly name: string;
  /** Seconds to wait after publishing, for secondaries to catch up (0: the provider answers at once). */
  readonly propagationSeconds: number;
  present(fqdn: string, value: string): Promise<void>;
  cleanup(fqdn: string, value: string): Promise<void>;
}

/**
 * Runs an operator's script (the escape hatch for any DNS host): NEXUS_DNS_ACTION is present or cleanup,
 * NEXUS_DNS_NAME the record's name (with a trailing dot) and NEXUS_DNS_VALUE its value.
 */
class ExecProvider implements DnsProvider {
  readonly name = 'exec';

  constructor(
    private readonly command: readonly string[],
    readonly propagationSeconds: number,
  ) {}

  private async call(action: 'present' | 'cleanup', fqdn: string, value: string): Promise<void> {
    const [program, ...args] = this.command;
    try {
      await run(program as string, args, { env: { ...process.env, NEXUS_DNS_ACTION: action, NEXUS_DNS_NAME: fqdn, NEXUS_DNS_VALUE: value }, timeout: 120_000 });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new NexusError(`The DNS hook ${program as string} failed to ${action} ${fqdn}: ${detail}`, { code: 'DNS_PROVIDER_FAILED' });
    }
  }

  present(fqdn: string, value: string): Promise<void> {
    return this.call('present', fqdn, value);
  }

  cleanup(fqdn: string, value: string): Promise<void> {
    return this.call('cleanup', fqdn, value);
  }
}

/** pebble-challtestsrv's management API: TXT records set and cleared over HTTP. */
class ChalltestsrvProvider implements DnsProvider {
  readonly name = 'challtestsrv';

  constructor(
    private readonly url: string,
    readonly propagationSeconds: number,
  ) {}

  private async post(path: string, body: object): Promise<void> {
    const response = await fetch(new URL(path, this.url), { method: 'POST', body: JSON.stringify(body) }).catch((error: Error) => {
      throw new NexusError(`challtestsrv at ${this.url} is unreachable: ${error.message}`, { code: 'DNS_PROVIDER_FAILED' });
    });
    if (!response.ok) throw new NexusError(`challtestsrv answered ${response.status} to ${path}`, { code: 'DNS_PROVIDER_FAILED' });
  }

  present(fqdn: string, value: string): Promise<void> {
    return this.post('/set-txt', { host: fqdn, value });
  }

  cleanup(fqdn: string): Promise<void> {
    return this.post('/clear-txt', { host: fqdn });
  }
}

export function dnsProviderFor(target: TargetConfig): DnsProvider | undefined {
  const config = target.tls.dns_provider;
  if (!config) return undefined;
  if (config.type === 'exec') return new ExecProvider(config.command, config.propagation_seconds);
  return new ChalltestsrvProvider(config.url, config.propagation_seconds);
}
