import { Flags } from '@oclif/core';
import type { CertificateStatus } from '../../services/certificate-status';
import { checkDns, dnsError, targetDnsPlan } from '../../services/dns-check';
import { SslCommand, sslFlags } from '../../ssl-command';

export default class SslIssue extends SslCommand<{ certificate: CertificateStatus }> {
  static override summary = "Obtain a certificate for a target's domains over ACME and switch nginx to it";
  static override description = `Checks DNS first (as \`nexus dns verify\`; --skip-dns-check to skip), then orders one certificate for every domain of the target: http-01 by default, the tokens placed in each host's ACME webroot over SSH and served by its nginx; dns-01 (and always for wildcard names) through tls.dns_provider. The key is ECDSA P-256 (tls.key_type: rsa for RSA 2048). The ACME account key lives on the first host (mode 600).

The certificate and key are installed on every host under <root>/certs/<first domain>/ and nginx is switched to them only after nginx -t accepts the site; otherwise the previous certificate is put back. A failed order changes nothing on the hosts.`;

  static override examples = ['<%= config.bin %> ssl issue --target production', '<%= config.bin %> ssl issue -t staging --staging --json'];

  static override flags = {
    ...sslFlags,
    'skip-dns-check': Flags.boolean({ description: 'Order without checking DNS first.' }),
  };

  async run(): Promise<{ certificate: CertificateStatus }> {
    const { flags } = await this.parse(SslIssue);
    const { deploy, manager, hosts } = await this.certificates(flags);
    if (!flags['skip-dns-check']) {
      this.note('Checking DNS…');
      const error = dnsError(await checkDns(await targetDnsPlan(deploy, () => Promise.resolve(hosts))));
      if (error) throw error;
    }
    this.note(`Ordering a certificate for ${deploy.target.domains.join(', ')} from ${manager.directoryUrl(flags.staging)}…`);
    const certificate = await this.underDeployLock(deploy, hosts, 'nexus ssl issue', () => manager.issue(flags.staging, (message) => this.note(`  ${message}`)));
    this.log(`Installed: ${certificate.names.join(', ')}, issued by ${certificate.issuer}, valid until ${certificate.notAfter} (renewal from ${certificate.renewAt}).`);
    return { certificate };
  }
}
