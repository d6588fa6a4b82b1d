import { Args, Flags } from '@oclif/core';
import { NexusError, UsageError } from '../errors';
import { withDockerHost } from '../remote/docker';
import { LOG_SERVICES, logsCommand, type LogService } from '../remote/logs';
import { siteHosts } from '../services/health-target';
import { TargetCommand, targetFlags } from '../target-command';
import { checked } from '../flags';

export default class Logs extends TargetCommand<{ lines: string[] }> {
  static override summary = "Print or follow a service's logs on a target's hosts";

  static override description =
    'app: the API containers of the current release; worker: its delivery worker (webhooks, order mail), every copy; postgres, redis: the on-host services; nginx: its access and error logs (those of the nginx load balancer with --host <its address>). With --follow, Ctrl-C stops it here and on the host (no remote tail is left running).';

  static override examples = [
    '<%= config.bin %> logs --target production',
    '<%= config.bin %> logs nginx --target production --follow --grep " 502 "',
    '<%= config.bin %> logs app -t production --since 10m --lines 500',
    '<%= config.bin %> logs worker -t production --grep "delivery failed"',
    '<%= config.bin %> logs nginx -t production --host 203.0.113.20 --grep " 502 "',
  ];

  static override args = {
    service: Args.string({ description: 'Which logs.', options: [...LOG_SERVICES], default: 'app' }),
  };

  static override flags = {
    ...targetFlags,
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new lines until interrupted.' }),
    lines: Flags.integer({ char: 'n', description: 'Lines of history to start with.', default: 100, min: 0, max: 100_000 }),
    since: checked('since')({ description: 'Only lines since this time or duration (Docker services only), e.g. 10m or 2026-11-25T10:00:00.' }),
    grep: Flags.string({ description: 'Only lines containing this text.' }),
    'nginx-log-dir': Flags.string({ description: "Directory of nginx's access.log and error.log on the host.", default: '/var/log/nginx' }),
    host: checked('host')({ description: 'Only this host of the target (default: every host, one after the other; --follow needs one).' }),
  };

  async run(): Promise<{ lines: string[] }> {
    const { args, flags } = await this.parse(Logs);
    const service = args.service as LogService;
    if (service === 'nginx' && flags.since) throw new UsageError('--since works for Docker services, not for nginx\'s log files.', ['use --lines and --grep for nginx']);
    const target = this.loadTarget(flags);
    // The nginx load balancer's host runs nginx alone: its logs are there when asked for by --host.
    const candidates = service === 'nginx' ? siteHosts(target.target) : target.target.hosts;
    const hosts = flags.host ? candidates.filter((host) => host.address === flags.host) : target.target.hosts;
    if (hosts.length === 0) throw new UsageError(`${flags.host} is not a host of ${target.name}${service === 'nginx' ? '' : ` that runs ${service}`}.`, [`hosts: ${candidates.map((host) => host.address).join(', ')}`]);
    if (flags.follow && hosts.length > 1) throw new UsageError('--follow reads one host at a time.', ['pick one with --host']);
    // --json is one document at the end: the lines are collected, which a stream that never ends cannot be.
    const json = this.jsonEnabled();
    if (json && flags.follow) throw new UsageError('--json cannot be combined with --follow.');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const collected: string[] = [];
    try {
      for (const host of hosts) {
        if (hosts.length > 1 && !json) process.stdout.write(`==> ${host.address} <==\n`);
        const executor = await this.connect(target, host);
        const logs = logsCommand({ service, app: target.app.name, root: target.target.root, lines: flags.lines, follow: flags.follow, since: flags.since, grep: flags.grep, nginxLogDir: flags['nginx-log-dir'] });
        const command = withDockerHost(logs, target.target.docker_host);
        let text = '';
        // What the host says on stderr is kept for the error message (a failure is not the last log line).
        let errors = '';
        const print = (chunk: string, from: 'stdout' | 'stderr' = 'stdout') => {
          if (from === 'stderr') errors = (errors + chunk).slice(-4_000);
          else if (json) text += chunk;
          else process.stdout.write(chunk);
        };
        const result = flags.follow ? await executor.follow(command, print, controller.signal) : await executor.stream(command, print, controller.signal);
        if (!controller.signal.aborted && result.code !== 0) {
          const reason = errors.trim().split('\n').slice(-3).join('\n') || 'the host gave no reason on stderr';
          throw new NexusError(`Could not read the ${service} logs on ${host.address} (exit ${result.code ?? result.signal ?? 'unknown'}): ${reason}`, {
            code: 'LOGS_FAILED',
            suggestions: [`\`nexus debug --target ${target.name}\` reports what the host has (Docker, Compose, nginx, releases)`],
          });
        }
        if (errors && !json) process.stderr.write(errors);
        collected.push(...text.split('\n').filter(Boolean));
      }
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    return { lines: collected };
  }
}
