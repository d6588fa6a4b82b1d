import type { CertificateStatus } from '../../services/certificate-status';
import { ScheduledJob, type JobState } from '../../services/scheduled-job';
import { renewalJob, SslCommand, sslFlags } from '../../ssl-command';

function describeTimer(timer: JobState): string {
  if (!timer.installed) return 'none on the host (`nexus ssl install-timer`)';
  const last = timer.lastRun ? `last run ${timer.lastRun.at}, ${timer.lastRun.exit === 0 ? 'succeeded' : `failed (exit ${timer.lastRun.exit})`}` : 'not run yet';
  return `${timer.schedule ? 'daily (cron)' : 'installed, not scheduled by nexus'}; ${last}`;
}

function describeBasis(certificate: CertificateStatus): string {
  const window = certificate.renewalWindow;
  if (window) return `the CA's window ${window.start} → ${window.end}${window.explanationURL ? `, see ${window.explanationURL}` : ''}`;
  return certificate.renewalInfoError ? `lifetime rule; the CA's renewal information failed: ${certificate.renewalInfoError}` : 'lifetime rule';
}

export default class SslStatus extends SslCommand<{ certificate: CertificateStatus | null; timer: JobState }> {
  static override summary = "Show a target's certificate: names, issuer, expiry, days left, next renewal, the renewal job";
  static override examples = ['<%= config.bin %> ssl status --target production', '<%= config.bin %> ssl status -t production --json'];
  static override flags = sslFlags;

  async run(): Promise<{ certificate: CertificateStatus | null; timer: JobState }> {
    const { flags } = await this.parse(SslStatus);
    const { deploy, manager, jobHosts } = await this.certificates(flags);
    const certificate = await manager.status({ staging: flags.staging });
    const timer = await new ScheduledJob(jobHosts, deploy, renewalJob(deploy)).state();
    if (!certificate) {
      this.log(`${manager.domain}: no certificate yet (\`nexus ssl issue\`).`);
    } else {
      this.log(`${certificate.domain}: ${certificate.names.join(', ')}`);
      this.log(`  issuer     ${certificate.issuer}`);
      this.log(`  valid      ${certificate.notBefore} → ${certificate.notAfter} (${certificate.daysLeft} days left)`);
      this.log(`  renewal    ${certificate.due ? 'due now' : `from ${certificate.renewAt}`} (${describeBasis(certificate)})`);
    }
    this.log(`  renewal job ${describeTimer(timer)}`);
    return { certificate: certificate ?? null, timer };
  }
}
