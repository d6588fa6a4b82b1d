import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { NexusError } from '../../errors';
import { defaultJobTime, parseTimeOfDay, ScheduledJob, type JobReport, type TimeOfDay } from '../../services/scheduled-job';
import { renewalJob, SslCommand } from '../../ssl-command';
import { targetFlags } from '../../target-command';
import { checked } from '../../flags';

export function parseAt(value: string): TimeOfDay {
  const time = parseTimeOfDay(value);
  if (!time) throw new NexusError(`--at expects a time of day as HH:MM (00:00 to 23:59), not "${value}".`, { code: 'USAGE', exitCode: 2 });
  return time;
}

function readCaBundle(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new NexusError(`NODE_EXTRA_CA_CERTS names ${path}, which cannot be read: ${(error as Error).message}`, { code: 'USAGE', exitCode: 2 });
  }
}

type Result = JobReport & { removed?: boolean; firstRun?: { code: number; output: string } | null };

export default class SslInstallTimer extends SslCommand<Result> {
  static override summary = "Install the host's daily certificate renewal (cron), or remove it";
  static override description = `Sets up a job on the target's first host that runs \`nexus ssl renew\` every day: the same renewal as from here, run from the serving release's image in a throwaway container. It logs in to the target's hosts with an SSH key made for it on the first host, which can run nothing but the job's own calls: restricted (no forwarding, no terminal), accepted only from where the job connects (loopback on the first host), and bound to a gate on each host, the nginx load balancer's included (<root>/jobs/ssl-renew/gate.sh) that runs only the nexus scripts of its allow-list, each argument checked. The job reads a copy of the target's configuration and the secrets tls names, all in <root>/jobs/ssl-renew (mode 600). The trust of NODE_EXTRA_CA_CERTS, when set, goes along.

The deploy user's crontab gets one entry, at a time of day derived from the target (--at to choose). With --scheduler none nothing is scheduled and the command prints the job to run from another scheduler. When a release serves and a certificate exists, the job runs once at the end to prove it works (--no-check to skip). Running it again updates everything in place; --remove undoes it all.`;

  static override examples = [
    '<%= config.bin %> ssl install-timer --target production',
    '<%= config.bin %> ssl install-timer -t production --at 04:30',
    '<%= config.bin %> ssl install-timer -t production --scheduler none',
    '<%= config.bin %> ssl install-timer -t production --remove',
  ];

  static override flags = {
    ...targetFlags,
    scheduler: Flags.option({ options: ['cron', 'none'] as const, default: 'cron', description: "cron: the deploy user's crontab; none: only install the job and print it." })(),
    at: checked('timeOfDay')({ description: 'Time of day (host time, HH:MM) to run; default: one derived from the target.' }),
    check: Flags.boolean({ default: true, allowNo: true, description: 'Run the job once after installing it.' }),
    remove: Flags.boolean({ description: 'Remove the job, its schedule, its key and its gate from every host.', exclusive: ['at', 'scheduler'] }),
  };

  async run(): Promise<Result> {
    const { flags } = await this.parse(SslInstallTimer);
    const at = flags.at === undefined ? undefined : parseAt(flags.at);
    const { deploy, manager, hosts, jobHosts } = await this.certificates(flags);
    const timer = new ScheduledJob(jobHosts, deploy, renewalJob(deploy));
    if (flags.remove) {
      const changed = await timer.remove();
      this.log(changed.length > 0 ? `Removed the renewal job of ${deploy.name}: ${changed.join('; ')}.` : `${deploy.name} has no renewal job; nothing to remove.`);
      return { job: timer.command, schedule: null, changed, removed: true };
    }
    if (deploy.target.tls.dns_provider?.type === 'exec') {
      throw new NexusError("tls.dns_provider exec runs a script where nexus runs; the host's renewal job runs nexus in the app image, which does not have it.", {
        code: 'DEPLOY_CONFIG',
        exitCode: 3,
        suggestions: ['use the rfc2136 provider, or run `nexus ssl renew` daily from CI instead'],
      });
    }
    const report = await timer.install({ scheduler: flags.scheduler, at: at ?? defaultJobTime(deploy, 'ssl-renew'), caBundle: readCaBundle(process.env.NODE_EXTRA_CA_CERTS) });
    for (const change of report.changed) this.note(`  ${change}`);
    this.log(report.schedule ? `Scheduled on ${hosts[0]?.exec.host}: ${report.schedule}` : `Installed; schedule this command daily on ${hosts[0]?.exec.host} as ${deploy.target.ssh.user}: ${report.job}`);
    const ready = (await hosts[0]?.serving()) !== undefined && (await manager.status()) !== undefined;
    if (!flags.check || !ready) {
      if (flags.check) this.note('The job was not run: it needs a serving release (`nexus deploy`) and a certificate (`nexus ssl issue`).');
      return { ...report, firstRun: null };
    }
    this.note('Running the job once…');
    const firstRun = await timer.runOnce();
    if (firstRun.code !== 0) {
      throw new NexusError(`The renewal job is installed, but its first run failed (exit ${firstRun.code}):\n${firstRun.output.trim()}`, {
        code: 'RENEWAL_JOB_FAILED',
        details: { ...report, firstRun },
        suggestions: ['fix the cause and run install-timer again; the job logs to <root>/jobs/ssl-renew/job.log'],
      });
    }
    this.log(firstRun.output.trim().split('\n').pop() ?? '');
    return { ...report, firstRun };
  }
}
