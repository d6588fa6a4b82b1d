import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DeployTarget } from '../deploy-config/load';
import { writeFile } from '../remote/files';
import { allowListFile, type AllowedCall } from '../remote/job-allow-list';
import { cronLine, jobConfig, jobFiles, jobScript, type JobFiles } from '../remote/job-files';
import { gatedKeyEntry, gateScript, sourceAddresses } from '../remote/job-gate';
import { authorizeKey, checkCron, ensureKeyPair, installCronEntry, jobState, removeCronEntry, removeJobDirectory, revokeKey } from '../remote/scheduled-job';
import { script } from '../remote/shell';
import type { HostDeployer } from './host-deployer';

export type Scheduler = 'cron' | 'none';

export interface TimeOfDay {
  hour: number;
  minute: number;
}

/** What a job runs and needs. */
export interface JobSpec {
  /** Directory and tag name: jobs/<name>. */
  name: string;
  /** The nexus command (without --target and --dir). */
  args: readonly string[];
  /** Secrets the command needs, copied from the operator's to the host. */
  secrets: readonly string[];
  /** The remote calls the command makes: all that the job's key may do (job-allow-lists.ts). */
  calls: readonly AllowedCall[];
  /** A certificate on the job's host whose expiry each run reports to the node exporter (the renewal job's). */
  certificate?: { domain: string; fullchain: string };
}

export interface JobReport {
  /** The command that runs the job on the first host. */
  job: string;
  /** The crontab entry, or null with --scheduler none. */
  schedule: string | null;
  /** What this run changed (`created the job key …`), empty when it was all in place. */
  changed: string[];
}

export interface JobState {
  installed: boolean;
  schedule: string | null;
  lastRun: { at: string; exit: number; image: string } | null;
}

/** A time of day derived from the target and job, so that a fleet's jobs spread over the day but stay put. */
export function defaultJobTime(deploy: DeployTarget, job: string): TimeOfDay {
  const hash = createHash('sha256').update(`${deploy.app.name}/${deploy.name}/${deploy.target.domains.join(',')}/${job}`).digest();
  return { hour: (hash[0] as number) % 24, minute: (hash[1] as number) % 60 };
}

export function parseTimeOfDay(value: string): TimeOfDay | undefined {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
}

function changes(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('changed: '))
    .map((line) => line.slice('changed: '.length));
}

/** The first host's job connects from its own loopback (the container runs on the host's network). */
const LOOPBACK = ['127.0.0.1', '::1'];

/**
 * A daily job on a target's first host that runs a nexus command from the serving image (certificate
 * renewal, backups). The command logs in to every host of the target with a key made for the job on the
 * first host, which can do nothing but the job's calls: in authorized_keys it is `restrict`ed (no forwarding,
 * no terminal), accepted only from where the job connects (loopback on the first host, the first host's
 * addresses on the others), and bound to the job's gate (`command=`), which runs only the calls of the job's
 * allow-list, each argument checked.
 */
export class ScheduledJob {
  private readonly files: JobFiles;

  constructor(
    private readonly hosts: readonly HostDeployer[],
    private readonly deploy: DeployTarget,
    private readonly spec: JobSpec,
  ) {
    this.files = jobFiles(this.first.layout.job(spec.name));
  }

  private get first(): HostDeployer {
    return this.hosts[0] as HostDeployer;
  }

  /** Marks the crontab entry. */
  private get marker(): string {
    return `nexus job ${this.spec.name}: ${this.deploy.app.name}/${this.deploy.name}`;
  }

  /** The job key's comment, which tags its authorized_keys entries. */
  private get keyTag(): string {
    return `nexus-job-${this.spec.name}-${this.deploy.app.name}@${this.deploy.name}`;
  }

  get command(): string {
    return `sh ${this.files.script}`;
  }

  async install(options: { scheduler: Scheduler; at: TimeOfDay; caBundle?: string }): Promise<JobReport> {
    if (options.scheduler === 'cron') await this.first.run('find cron', checkCron());
    const changed: string[] = [];
    const key = await this.first.run('create the job key', ensureKeyPair(this.files.key, this.keyTag));
    changed.push(...changes(key.stderr));
    const publicKey = key.stdout.trim();
    const allowList = allowListFile(this.spec.calls, `The calls the ${this.spec.name} job of ${this.deploy.app.name}/${this.deploy.name} may make through its gate; written by nexus.`);
    for (const [index, host] of this.hosts.entries()) {
      // The gate is in place before the key that it guards is accepted.
      const files = jobFiles(host.layout.job(this.spec.name));
      await host.run('write the job allow-list', writeFile(files.allowList, '600'), { stdin: allowList });
      await host.run('write the job gate', writeFile(files.gate, '600'), { stdin: gateScript(files.allowList, `${this.spec.name} (${this.deploy.app.name}/${this.deploy.name})`) });
      const from = index === 0 ? LOOPBACK : await this.firstHostAddresses(host);
      const entry = gatedKeyEntry(publicKey, files.gate, from);
      changed.push(...changes((await host.run('authorise the job key', authorizeKey(this.deploy.target.ssh.authorized_keys, entry, this.keyTag))).stdout));
    }
    const secrets = this.spec.secrets.map((name) => `${name}=${this.deploy.secrets.get(name)?.reveal() ?? ''}\n`);
    await this.first.run('write the job configuration', writeFile(this.files.config, '600'), { stdin: jobConfig(this.deploy) });
    await this.first.run('write the job secrets', writeFile(this.files.secrets, '600'), { stdin: secrets.join('') });
    if (options.caBundle) await this.first.run('write the CA bundle', writeFile(this.files.caBundle, '644'), { stdin: options.caBundle });
    await this.first.run('write the job', writeFile(this.files.script, '600'), { stdin: jobScript(this.deploy, this.files.dir, { args: this.spec.args, caBundle: Boolean(options.caBundle), name: this.spec.name, certificate: this.spec.certificate }) });
    if (options.scheduler === 'none') {
      changed.push(...changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout));
      return { job: this.command, schedule: null, changed };
    }
    const line = cronLine(this.files.dir, options.at, this.marker);
    changed.push(...changes((await this.first.run('schedule the job', installCronEntry(this.marker, line))).stdout));
    return { job: this.command, schedule: line, changed };
  }

  /**
   * Where the job's connections to another host come from: the first host's source address towards it, and
   * the first host's configured address (what the other host sees when the hosts talk through public NAT).
   */
  private async firstHostAddresses(host: HostDeployer): Promise<string[]> {
    const routed = (await this.first.run(`find the address ${this.first.exec.host} reaches ${host.exec.host} from`, sourceAddresses(host.exec.host))).stdout.split('\n').filter(Boolean);
    const configured = this.first.exec.host;
    const named = isIP(configured) ? [configured] : (await lookup(configured, { all: true }).catch(() => [])).map((entry) => entry.address);
    return [...new Set([...routed, ...named])];
  }

  /** Runs the job once, now, as its schedule would. @returns its exit status and output */
  async runOnce(): Promise<{ code: number; output: string }> {
    const result = await this.first.exec.run(script('nexus-job-run', 'output=$(sh "$1" 2>&1); status=$?; printf \'%s\\n\' "$output" | tee -a "$2"; exit "$status"', this.files.script, this.files.log));
    return { code: result.code ?? 1, output: result.stdout };
  }

  /** Undoes install: the crontab entry, the key on every host, the job's directory (with its gate) on every host. */
  async remove(): Promise<string[]> {
    const changed = changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout);
    for (const host of this.hosts) changed.push(...changes((await host.run('remove the job key', revokeKey(this.deploy.target.ssh.authorized_keys, this.keyTag))).stdout));
    for (const host of this.hosts) changed.push(...changes((await host.run('remove the job directory', removeJobDirectory(host.layout.job(this.spec.name)))).stdout));
    return changed;
  }

  async state(): Promise<JobState> {
    const result = await this.first.run('read the job state', jobState(this.files.dir, this.marker));
    const [job = '', schedule = '', lastRun = ''] = result.stdout.split('\n');
    let last: JobState['lastRun'] = null;
    try {
      last = lastRun ? (JSON.parse(lastRun) as JobState['lastRun']) : null;
    } catch {
      last = null;
    }
    return { installed: job === 'job', schedule: schedule || null, lastRun: last };
  }
}
