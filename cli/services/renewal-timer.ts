import { createHash } from 'node:crypto';
import type { DeployTarget } from '../deploy-config/load';
import { NexusError } from '../errors';
import { writeFile } from '../remote/files';
import { cronLine, renewalConfig, renewalFiles, renewalJob, type RenewalFiles } from '../remote/renewal-job';
import { script } from '../remote/shell';
import { authorizeKey, checkCron, ensureKeyPair, installCronEntry, removeCronEntry, removeRenewalDirectory, revokeKey, timerState } from '../remote/renewal-timer';
import type { HostDeployer } from './host-deployer';

export type Scheduler = 'cron' | 'none';

export interface TimeOfDay {
  hour: number;
  minute: number;
}

export interface TimerReport {
  /** The command that runs the job on the first host. */
  job: string;
  /** The crontab entry, or null with --scheduler none. */
  schedule: string | null;
  /** What this run changed (`created the renewal key …`), empty when it was all in place. */
  changed: string[];
}

export interface TimerState {
  installed: boolean;
  schedule: string | null;
  lastRun: { at: string; exit: number; image: string } | null;
}

/** The secrets the tls settings name (and the renewal job therefore needs on the host). */
export function tlsSecretNames(deploy: DeployTarget): string[] {
  const { tls } = deploy.target;
  return [...(tls.eab_kid ? ['ACME_EAB_HMAC_KEY'] : []), ...(tls.dns_provider?.type === 'rfc2136' ? ['RFC2136_TSIG_SECRET'] : [])];
}

/** A time of day derived from the target, so that a fleet's renewals spread over the day but stay put. */
export function defaultRenewalTime(deploy: DeployTarget): TimeOfDay {
  const hash = createHash('sha256').update(`${deploy.app.name}/${deploy.name}/${deploy.target.domains.join(',')}`).digest();
  return { hour: (hash[0] as number) % 24, minute: (hash[1] as number) % 60 };
}

function changes(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('changed: '))
    .map((line) => line.slice('changed: '.length));
}

/**
 * The host-side daily renewal of a target's certificate. The job lives on the first host and runs
 * `nexus ssl renew` from the serving image, which logs in to every host of the target with a key made for
 * it on the first host: `restrict`ed (no forwarding, no terminal), and on the first host accepted from
 * loopback only.
 */
export class RenewalTimer {
  private readonly files: RenewalFiles;

  constructor(
    private readonly hosts: readonly HostDeployer[],
    private readonly deploy: DeployTarget,
  ) {
    this.files = renewalFiles(this.first.layout.renewal);
  }

  private get first(): HostDeployer {
    return this.hosts[0] as HostDeployer;
  }

  /** Marks the crontab entry. */
  private get marker(): string {
    return `nexus ssl renew: ${this.deploy.app.name}/${this.deploy.name}`;
  }

  /** The renewal key's comment, which tags its authorized_keys entries. */
  private get keyTag(): string {
    return `nexus-ssl-renew-${this.deploy.app.name}@${this.deploy.name}`;
  }

  get jobCommand(): string {
    return `sh ${this.files.job}`;
  }

  async install(options: { scheduler: Scheduler; at: TimeOfDay; caBundle?: string }): Promise<TimerReport> {
    const provider = this.deploy.target.tls.dns_provider;
    if (provider?.type === 'exec') {
      throw new NexusError('tls.dns_provider exec runs a script where nexus runs; the host\'s renewal job runs nexus in the app image, which does not have it.', {
        code: 'DEPLOY_CONFIG',
        exitCode: 3,
        suggestions: ['use the rfc2136 provider, or run `nexus ssl renew` daily from CI instead'],
      });
    }
    if (options.scheduler === 'cron') await this.first.run('find cron', checkCron());
    const changed: string[] = [];
    const key = await this.first.run('create the renewal key', ensureKeyPair(this.files.key, this.keyTag));
    changed.push(...changes(key.stderr));
    const publicKey = key.stdout.trim();
    for (const [index, host] of this.hosts.entries()) {
      const entry = `${index === 0 ? 'restrict,from="127.0.0.1,::1"' : 'restrict'} ${publicKey}`;
      changed.push(...changes((await host.run('authorise the renewal key', authorizeKey(this.deploy.target.ssh.authorized_keys, entry, this.keyTag))).stdout));
    }
    const secrets = tlsSecretNames(this.deploy).map((name) => `${name}=${this.deploy.secrets.get(name)?.reveal() ?? ''}\n`);
    await this.first.run('write the renewal configuration', writeFile(this.files.config, '600'), { stdin: renewalConfig(this.deploy) });
    await this.first.run('write the renewal secrets', writeFile(this.files.secrets, '600'), { stdin: secrets.join('') });
    if (options.caBundle) await this.first.run('write the CA bundle', writeFile(this.files.caBundle, '644'), { stdin: options.caBundle });
    await this.first.run('write the renewal job', writeFile(this.files.job, '600'), { stdin: renewalJob(this.deploy, this.files.dir, { caBundle: Boolean(options.caBundle) }) });
    if (options.scheduler === 'none') {
      changed.push(...changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout));
      return { job: this.jobCommand, schedule: null, changed };
    }
    const line = cronLine(this.files.dir, options.at, this.marker);
    changed.push(...changes((await this.first.run('schedule the renewal job', installCronEntry(this.marker, line))).stdout));
    return { job: this.jobCommand, schedule: line, changed };
  }

  /** Runs the job once, now, as its schedule would. @returns its exit status and output */
  async runOnce(): Promise<{ code: number; output: string }> {
    const result = await this.first.exec.run(script('nexus-renewal-run', 'output=$(sh "$1" 2>&1); status=$?; printf \'%s\\n\' "$output" | tee -a "$2"; exit "$status"', this.files.job, this.files.log));
    return { code: result.code ?? 1, output: result.stdout };
  }

  /** Undoes install: the crontab entry, the key on every host, the renewal directory. */
  async remove(): Promise<string[]> {
    const changed = changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout);
    for (const host of this.hosts) changed.push(...changes((await host.run('remove the renewal key', revokeKey(this.deploy.target.ssh.authorized_keys, this.keyTag))).stdout));
    changed.push(...changes((await this.first.run('remove the renewal directory', removeRenewalDirectory(this.files.dir))).stdout));
    return changed;
  }

  async state(): Promise<TimerState> {
    const result = await this.first.run('read the renewal job', timerState(this.files.dir, this.marker));
    const [job = '', schedule = '', lastRun = ''] = result.stdout.split('\n');
    let last: TimerState['lastRun'] = null;
    try {
      last = lastRun ? (JSON.parse(lastRun) as TimerState['lastRun']) : null;
    } catch {
      last = null;
    }
    return { installed: job === 'job', schedule: schedule || null, lastRun: last };
  }
}
