import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import { InterruptedError, NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import { probe, type HealthReport, type ProbeOptions } from '../services/health-prober';
import { planTargetCheck, siteHosts } from '../services/health-target';
import { checked, sharedFlags } from '../flags';
import { TargetCommand } from '../target-command';

/** Rejects once the signal aborts: a check in flight is not waited for after Ctrl-C. */
const aborted = (signal: AbortSignal) => new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('interrupted')), { once: true }));

/** One check of the site: where it is, then its report. */
type Check = () => Promise<HealthReport>;

export default class Health extends TargetCommand<HealthReport> {
  static override summary = 'Check a running site: health, delivery worker, readiness, TLS certificate, HTTP redirect, security headers';

  static override description =
    `Exit code 0 when every check passes, 11 when any fails (each failure is listed); --json gives the whole report for CI. The worker check reads the delivery worker's state from /health/ (a worker seen in the last 30 s, events not waiting 120 s or more to be queued); it is skipped for an API that does not report it. With --watch it checks every --interval seconds, --count times and exits with the last result, or until Ctrl-C (exit 130).

With --target it checks the first domain on the ports of the target's nginx settings, over HTTPS when the certificate is on the host (asked over SSH; the rule deploys render the site with), else over plain HTTP, which the site serves until \`nexus ssl issue\`. The name is resolved by the target's resolvers (dns.system, then dns.resolvers, as \`nexus dns verify\` asks them). --address connects to one host directly, before DNS points there, sending the domain as the Host header and TLS SNI. The report says which scheme and address were used, and why.`;

  static override examples = [
    '<%= config.bin %> health --url https://shop.example.com',
    '<%= config.bin %> health --target production --json',
    '<%= config.bin %> health --url https://staging.example.com --watch --interval 10',
    '<%= config.bin %> health --target production --address 203.0.113.10',
  ];

  static override flags = {
    url: checked('url')({ description: 'Base URL of the site.', exactlyOne: ['url', 'target'] }),
    target: checked('target')({ char: 't', description: 'Target in nexus.yml: its first domain, over HTTPS once its host has the certificate, else plain HTTP.' }),
    address: checked('ipAddress')({ description: "Connect to this address instead of resolving the site's name (the name still goes in the Host header and TLS SNI)." }),
    dir: sharedFlags.projectDir,
    ca: checked('existingFile')({ description: 'PEM file of an extra CA to trust (e.g. a staging CA).' }),
    'min-days': Flags.integer({ description: 'Fail when the certificate has fewer days left.', default: 14, min: 0 }),
    'http-port': Flags.integer({ description: "Port of the plain-HTTP site for the redirect check. Default: the target's nginx.http_port, else 80.", min: 1, max: 65535 }),
    timeout: Flags.integer({ description: 'Seconds to wait for each answer.', default: 10, min: 1, max: 120 }),
    watch: Flags.boolean({ description: 'Check again every --interval seconds.' }),
    interval: Flags.integer({ description: 'Seconds between checks with --watch.', default: 30, min: 1 }),
    count: Flags.integer({ description: 'With --watch, stop after this many checks.', min: 1 }),
  };

  async run(): Promise<HealthReport> {
    const { flags } = await this.parse(Health);
    let ca: Buffer | undefined;
    try {
      ca = flags.ca ? readFileSync(flags.ca) : undefined;
    } catch (error) {
      throw new UsageError(`Cannot read --ca ${flags.ca}: ${(error as Error).message}`);
    }
    const options: ProbeOptions = { ca, timeoutMs: flags.timeout * 1000, minDaysLeft: flags['min-days'], httpPort: flags['http-port'] ?? 80, address: flags.address };
    const check = flags.target ? this.targetCheck(flags.dir, flags.target, options, flags['http-port']) : this.urlCheck(flags.url as string, options);
    const report = flags.watch ? await this.watch(check, flags.interval, flags.count) : await check();
    if (!flags.watch) this.print(report);
    if (!report.healthy) {
      const unresolved = report.checks.some((entry) => entry.name === 'dns' && !entry.ok);
      throw new NexusError(`${report.url} is not healthy: ${report.checks.filter((entry) => !entry.ok).map((entry) => `${entry.name} (${entry.detail})`).join(', ')}.`, {
        code: 'UNHEALTHY',
        exitCode: ExitCode.HEALTH_CHECK_FAILED,
        details: report,
        suggestions: unresolved ? [`check the host directly: nexus health --target ${flags.target} --address <host IP>; \`nexus dns verify --target ${flags.target}\` shows the records`] : [],
      });
    }
    return report;
  }

  private urlCheck(url: string, options: ProbeOptions): Check {
    const connection = options.address ? { scheme: new URL(url).protocol === 'https:' ? ('https' as const) : ('http' as const), schemeReason: 'given by --url', address: options.address, addressReason: '--address' } : undefined;
    return () => probe(url, { ...options, connection });
  }

  /** Each check asks the host and the resolvers again: a certificate issued or a record added meanwhile counts. */
  private targetCheck(dir: string, target: string, options: ProbeOptions, httpPort: number | undefined): Check {
    const deploy = this.loadTarget({ target, dir });
    const connect = (address: string) => this.connect(deploy, siteHosts(deploy.target).find((host) => host.address === address));
    return async () => {
      const plan = await planTargetCheck(deploy, { address: options.address, httpPort, connect });
      if (plan.address === undefined) {
        const detail = `${deploy.target.domains[0]} does not resolve: ${plan.failures?.join('; ')}`;
        return { url: plan.url, healthy: false, checkedAt: new Date().toISOString(), connection: plan.connection, checks: [{ name: 'dns', ok: false, detail }] };
      }
      return probe(plan.url, { ...options, httpPort: plan.httpPort, address: plan.address, connection: plan.connection });
    };
  }

  /**
   * Checks every `interval` seconds, `count` checks in all, or until Ctrl-C, which ends the command at once
   * (even mid-check) with exit 130 and the last complete report as the error's details.
   */
  private async watch(check: Check, interval: number, count: number | undefined): Promise<HealthReport> {
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
        report = await Promise.race([check(), stopped]);
        done += 1;
        this.print(report);
        if (count !== undefined && done >= count) return report;
        await sleep(interval * 1000, undefined, { signal: interrupted.signal });
      }
    } catch (error) {
      if (!interrupted.signal.aborted) throw error;
      const last = report ? `; the last found ${report.url} ${report.healthy ? 'healthy' : 'NOT healthy'}` : '';
      throw new InterruptedError(`Interrupted after ${done} check${done === 1 ? '' : 's'}${last}.`, report);
    } finally {
      process.removeListener('SIGINT', interrupt);
    }
  }

  private print(report: HealthReport): void {
    if (this.jsonEnabled()) return;
    this.log(`${report.checkedAt} ${report.url}: ${report.healthy ? 'healthy' : 'NOT HEALTHY'}`);
    const { connection } = report;
    if (connection) this.log(`  over ${connection.scheme.toUpperCase()}: ${connection.schemeReason}`);
    if (connection?.address) this.log(`  at ${connection.address} (from ${connection.addressReason})`);
    for (const check of report.checks) this.log(`  ${check.skipped ? '-' : check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  }
}
