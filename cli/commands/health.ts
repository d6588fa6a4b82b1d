import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { NexusCommand } from '../base-command';
import { loadDeployTarget } from '../deploy-config/load';
import { InterruptedError, NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { probe, type HealthReport, type ProbeOptions } from '../services/health-prober';
import { checked, sharedFlags } from '../flags';

/** Rejects once the signal aborts: a check in flight is not waited for after Ctrl-C. */
const aborted = (signal: AbortSignal) => new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true }));

export default class Health extends NexusCommand<HealthReport> {
  static override summary = 'Check a running site: health, readiness, TLS certificate, HTTP redirect, security headers';

  static override description =
    'Exit code 0 when every check passes, 11 when any fails (each failure is listed); --json gives the whole report for CI. With --watch it checks every --interval seconds, --count times and exits with the last result, or until Ctrl-C (exit 130).';

  static override examples = [
    '<%= config.bin %> health --url https://shop.example.com',
    '<%= config.bin %> health --target production --json',
    '<%= config.bin %> health --url https://staging.example.com --watch --interval 10',
  ];

  static override flags = {
    url: checked('url')({ description: 'Base URL of the site.', exactlyOne: ['url', 'target'] }),
    target: checked('target')({ char: 't', description: 'Target in nexus.yml: its first domain over HTTPS.' }),
    dir: sharedFlags.projectDir,
    ca: checked('existingFile')({ description: 'PEM file of an extra CA to trust (e.g. a staging CA).' }),
    'min-days': Flags.integer({ description: 'Fail when the certificate has fewer days left.', default: 14, min: 0 }),
    'http-port': Flags.integer({ description: 'Port of the plain-HTTP site for the redirect check.', default: 80, min: 1, max: 65535 }),
    timeout: Flags.integer({ description: 'Seconds to wait for each answer.', default: 10, min: 1, max: 120 }),
    watch: Flags.boolean({ description: 'Check again every --interval seconds.' }),
    interval: Flags.integer({ description: 'Seconds between checks with --watch.', default: 30, min: 1 }),
    count: Flags.integer({ description: 'With --watch, stop after this many checks.', min: 1 }),
  };

  async run(): Promise<HealthReport> {
    const { flags } = await this.parse(Health);
    const url = flags.url ?? this.targetUrl(flags.dir, flags.target as string);
    let ca: Buffer | undefined;
    try {
      ca = flags.ca ? readFileSync(flags.ca) : undefined;
    } catch (error) {
      throw new UsageError(`Cannot read --ca ${flags.ca}: ${(error as Error).message}`);
    }
    const options: ProbeOptions = { ca, timeoutMs: flags.timeout * 1000, minDaysLeft: flags['min-days'], httpPort: flags['http-port'] };
    const report = flags.watch ? await this.watch(url, options, flags.interval, flags.count) : await probe(url, options);
    if (!flags.watch) this.print(report);
    if (!report.healthy) {
      throw new NexusError(`${url} is not healthy: ${report.checks.filter((check) => !check.ok).map((check) => `${check.name} (${check.detail})`).join(', ')}.`, {
        code: 'UNHEALTHY',
        exitCode: ExitCode.HEALTH_CHECK_FAILED,
        details: report,
      });
    }
    return report;
  }

  /**
   * Checks every `interval` seconds, `count` checks in all, or until Ctrl-C, which ends the command at once
   * (even mid-check) with exit 130 and the last complete report as the error's details.
   */
  private async watch(url: string, options: ProbeOptions, interval: number, count: number | undefined): Promise<HealthReport> {
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    process.once('SIGINT', interrupt);
    // One listener for the whole watch; its rejection is handled even when Ctrl-C comes during a sleep.
    const stopped = aborted(interrupted.signal);
    stopped.catch(() => undefined);
    let report: HealthReport | undefined;
    let done = 0;
    try {
      for (;;) {
        report = await Promise.race([probe(url, options), stopped]);
        done += 1;
        this.print(report);
        if (count !== undefined && done >= count) return report;
        await sleep(interval * 1000, undefined, { signal: interrupted.signal });
      }
    } catch (error) {
      if (!interrupted.signal.aborted) throw error;
      const last = report ? `; the last found ${url} ${report.healthy ? 'healthy' : 'NOT healthy'}` : '';
      throw new InterruptedError(`Interrupted after ${done} check${done === 1 ? '' : 's'}${last}.`, report);
    } finally {
      process.removeListener('SIGINT', interrupt);
    }
  }

  private targetUrl(dir: string, target: string): string {
    const domain = loadDeployTarget(dir, target).target.domains[0];
    return `https://${domain}/`;
  }

  private print(report: HealthReport): void {
    if (this.jsonEnabled()) return;
    this.log(`${report.checkedAt} ${report.url}: ${report.healthy ? 'healthy' : 'NOT HEALTHY'}`);
    for (const check of report.checks) this.log(`  ${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  }
}
