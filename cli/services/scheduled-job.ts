import { createHash } from 'node:crypto';
import type { DeployTarget } from '../deploy-config/load';
import { writeFile } from '../remote/files';
import { cronLine, jobConfig, jobFiles, jobScript, type JobFiles } from '../remote/job-files';
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

/**
 * A daily job on a target's first host that runs a nexus command from the serving image (certificate
 * renewal, backups). The command logs in to every host of the target with a key made for the job on the
 * first host: `restrict`ed (no forwarding, no terminal), and on the first host accepted from loopback only.
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
    for (const [index, host] of this.hosts.entries()) {
      const entry = `${index === 0 ? 'restrict,from="127.0.0.1,::1"' : 'restrict'} ${publicKey}`;
      changed.push(...changes((await host.run('authorise the job key', authorizeKey(this.deploy.target.ssh.authorized_keys, entry, this.keyTag))).stdout));
    }
    const secrets = this.spec.secrets.map((name) => `${name}=${this.deploy.secrets.get(name)?.reveal() ?? ''}\n`);
    await this.first.run('write the job configuration', writeFile(this.files.config, '600'), { stdin: jobConfig(this.deploy) });
    await this.first.run('write the job secrets', writeFile(this.files.secrets, '600'), { stdin: secrets.join('') });
    if (options.caBundle) await this.first.run('write the CA bundle', writeFile(this.files.caBundle, '644'), { stdin: options.caBundle });
    await this.first.run('write the job', writeFile(this.files.script, '600'), { stdin: jobScript(this.deploy, this.files.dir, { args: this.spec.args, caBundle: Boolean(options.caBundle) }) });
    if (options.scheduler === 'none') {
      changed.push(...changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout));
      return { job: this.command, schedule: null, changed };
    }
    const line = cronLine(this.files.dir, options.at, this.marker);
    changed.push(...changes((await this.first.run('schedule the job', installCronEntry(this.marker, line))).stdout));
    return { job: this.command, schedule: line, changed };
  }

  /** Runs the job once, now, as its schedule would. @returns its exit status and output */
  async runOnce(): Promise<{ code: number; output: string }> {
    const result = await this.first.exec.run(script('nexus-job-run', 'output=$(sh "$1" 2>&1); status=$?; printf \'%s\\n\' "$output" | tee -a "$2"; exit "$status"', this.files.script, this.files.log));
    return { code: result.code ?? 1, output: result.stdout };
  }

  /** Undoes install: the crontab entry, the key on every host, the job's directory. */
  async remove(): Promise<string[]> {
    const changed = changes((await this.first.run('remove the crontab entry', removeCronEntry(this.marker))).stdout);
    for (const host of this.hosts) changed.push(...changes((await host.run('remove the job key', revokeKey(this.deploy.target.ssh.authorized_keys, this.keyTag))).stdout));
    changed.push(...changes((await this.first.run('remove the job directory', removeJobDirectory(this.files.dir))).stdout));
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
