import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TargetConfig } from '../deploy-config/schema';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { nsupdate } from '../remote/nsupdate';

const run = promisify(execFile);

/** Publishes and removes the TXT records of dns-01 challenges. */
export interface DnsProvider {
  readonly name: string;
  /** Seconds to wait after publishing, for secondaries to catch up (0: the provider answers at once). */
  readonly propagationSeconds: number;
  present(fqdn: string, value: string): Promise<void>;
  cleanup(fqdn: string, value: string): Promise<void>;
}

/** What every program expects to find; the rest of the operator's environment (tokens, keys) stays here. */
const HOOK_BASE_ENVIRONMENT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/** The hook's environment: the base variables that are set, then the named ones (dns_provider.env), then its own. */
export function hookEnvironment(base: NodeJS.ProcessEnv, named: ReadonlyMap<string, string>, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of HOOK_BASE_ENVIRONMENT) if (base[name] !== undefined) env[name] = base[name];
  for (const [name, value] of named) env[name] = value;
  return { ...env, ...own };
}

/**
 * Runs an operator's script (the escape hatch for any DNS host): NEXUS_DNS_ACTION is present or cleanup,
 * NEXUS_DNS_NAME the record's name (with a trailing dot) and NEXUS_DNS_VALUE its value. It gets only those,
 * the base variables and the ones dns_provider.env names, never the whole environment nexus runs in.
 */
class ExecProvider implements DnsProvider {
  readonly name = 'exec';

  constructor(
    private readonly command: readonly string[],
    private readonly named: ReadonlyMap<string, string>,
    readonly propagationSeconds: number,
  ) {}

  private async call(action: 'present' | 'cleanup', fqdn: string, value: string): Promise<void> {
    const [program, ...args] = this.command;
    const env = hookEnvironment(process.env, this.named, { NEXUS_DNS_ACTION: action, NEXUS_DNS_NAME: fqdn, NEXUS_DNS_VALUE: value });
    try {
      await run(program as string, args, { env, timeout: 120_000 });
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

/**
 * RFC 2136 UPDATE signed with TSIG, sent by nsupdate on the target's first host: the same place whether an
 * operator or the host's renewal timer runs nexus, and nothing to install where nexus runs. The key reaches
 * nsupdate in a private temporary file (never on a command line, where `ps` would show it), written from
 * stdin's first line; the update commands follow it on stdin.
 */
class Rfc2136Provider implements DnsProvider {
  readonly name = 'rfc2136';

  constructor(
    private readonly config: Extract<NonNullable<TargetConfig['tls']['dns_provider']>, { type: 'rfc2136' }>,
    private readonly secret: string,
    private readonly host: Executor,
    readonly propagationSeconds: number,
  ) {}

  private async update(line: string): Promise<void> {
    // The key and the update become lines of nsupdate's input, where a quote or a line break would start a command.
    if (!TSIG_SECRET.test(this.secret)) throw new NexusError('RFC2136_TSIG_SECRET is not a base64 TSIG key (as `tsig-keygen` prints it).', { code: 'DEPLOY_CONFIG', exitCode: 3 });
    const [address, port] = this.config.server.startsWith('[') ? [this.config.server.slice(1, this.config.server.indexOf(']')), this.config.server.split(']:')[1]] : this.config.server.split(':');
    const key = `key "${this.config.key_name}" { algorithm ${this.config.algorithm}; secret "${this.secret}"; };`;
    const commands = [`server ${address ?? ''} ${port ?? '53'}`, ...(this.config.zone ? [`zone ${this.config.zone}`] : []), line, 'send'];
    const result = await this.host.run(nsupdate(), { stdin: [key, ...commands, ''].join('\n') });
    if (result.code !== 0) {
      throw new NexusError(`nsupdate on ${this.host.host} against ${this.config.server} failed: ${(result.stderr || result.stdout).trim() || `exit ${result.code}`}`, { code: 'DNS_PROVIDER_FAILED' });
    }
  }

  async present(fqdn: string, value: string): Promise<void> {
    await this.update(`update add ${recordName(fqdn)} 60 TXT "${recordValue(value)}"`);
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    await this.update(`update delete ${recordName(fqdn)} TXT "${recordValue(value)}"`);
  }
}

const TSIG_SECRET = /^[A-Za-z0-9+/]+={0,2}$/;

/** A record name as nsupdate takes it: labels of letters, digits, `-` and `_`, with the trailing dot. */
function recordName(fqdn: string): string {
  if (!/^([A-Za-z0-9_-]+\.)+$/.test(fqdn)) throw new NexusError(`refusing to update the DNS record ${JSON.stringify(fqdn)}: not a plain record name`, { code: 'DNS_PROVIDER_FAILED' });
  return fqdn;
}

/** A TXT value nsupdate takes inside quotes: no quote, backslash or line break. */
function recordValue(value: string): string {
  if (!/^[A-Za-z0-9_=+/.-]+$/.test(value)) throw new NexusError(`refusing to publish the TXT value ${JSON.stringify(value)}: not a plain token`, { code: 'DNS_PROVIDER_FAILED' });
  return value;
}


/** The provider tls.dns_provider names; secrets it needs (RFC2136_TSIG_SECRET) come from the target's secrets. */
export function dnsProviderFor(target: TargetConfig, secrets: ReadonlyMap<string, { reveal(): string }>, firstHost: Executor): DnsProvider | undefined {
  const config = target.tls.dns_provider;
  if (!config) return undefined;
  if (config.type === 'exec') {
    const missing = config.env.filter((name) => !secrets.get(name));
    if (missing.length > 0) throw new NexusError(`tls.dns_provider.env names ${missing.join(', ')}, which is set neither in the environment nor in .nexus/secrets.`, { code: 'DEPLOY_CONFIG', exitCode: 3 });
    const named = new Map(config.env.map((name) => [name, secrets.get(name)?.reveal() ?? '']));
    return new ExecProvider(config.command, named, config.propagation_seconds);
  }
  if (config.type === 'rfc2136') {
    const secret = secrets.get('RFC2136_TSIG_SECRET')?.reveal();
    if (!secret) throw new NexusError('tls.dns_provider rfc2136 needs the RFC2136_TSIG_SECRET secret.', { code: 'DEPLOY_CONFIG', exitCode: 3 });
    return new Rfc2136Provider(config, secret, firstHost, config.propagation_seconds);
  }
  return new ChalltestsrvProvider(config.url, config.propagation_seconds);
}
