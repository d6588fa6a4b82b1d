import type { CertificateStatus } from '../../services/certificate-status';
import { SslCommand, sslFlags } from '../../ssl-command';

export default class SslStatus extends SslCommand<{ certificate: CertificateStatus | null }> {
  static override summary = "Show a target's certificate: names, issuer, expiry, days left, next renewal";
  static override examples = ['<%= config.bin %> ssl status --target production', '<%= config.bin %> ssl status -t production --json'];
  static override flags = sslFlags;

  async run(): Promise<{ certificate: CertificateStatus | null }> {
    const { flags } = await this.parse(SslStatus);
    const { manager } = await this.certificates(flags);
    const certificate = await manager.status();
    if (!certificate) {
      this.log(`${manager.domain}: no certificate yet (\`nexus ssl issue\`).`);
      return { certificate: null };
    }
    this.log(`${certificate.domain}: ${certificate.names.join(', ')}`);
    this.log(`  issuer     ${certificate.issuer}`);
    this.log(`  valid      ${certificate.notBefore} → ${certificate.notAfter} (${certificate.daysLeft} days left)`);
    this.log(`  renewal    ${certificate.due ? 'due now' : `from ${certificate.renewAt}`}`);
    return { certificate };
  }
}
