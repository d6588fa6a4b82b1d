import { Flags } from '@oclif/core';
import { NexusError } from '../../errors';
import type { CertificateStatus } from '../../services/certificate-status';
import { SslCommand, sslFlags } from '../../ssl-command';

export default class SslRenew extends SslCommand<{ renewed: boolean; certificate: CertificateStatus | null; previous?: CertificateStatus }> {
  static override summary = "Renew a target's certificate when it is due (safe to run daily)";
  static override description =
    'Does nothing until the renewal time `nexus ssl status` shows: a moment inside the renewal window the CA suggests over ACME Renewal Information (RFC 9773) when it offers that, otherwise once less than tls.renew_fraction (a third) of the lifetime is left, moved earlier by a per-certificate jitter so that renewals spread out. Then it issues and installs a new certificate exactly like `nexus ssl issue` (without the DNS check). --force renews now.';

  static override examples = ['<%= config.bin %> ssl renew --target production', '<%= config.bin %> ssl renew -t production --force'];

  static override flags = {
    ...sslFlags,
    force: Flags.boolean({ description: 'Renew even if not due.' }),
  };

  async run(): Promise<{ renewed: boolean; certificate: CertificateStatus | null; previous?: CertificateStatus }> {
    const { flags } = await this.parse(SslRenew);
    const { deploy, manager, hosts } = await this.certificates(flags);
    const current = await manager.status({ staging: flags.staging });
    if (!current && deploy.target.ssh.gated) {
      throw new NexusError(`${manager.domain} has no certificate yet: the renewal job only renews the certificate nginx serves.`, { code: 'NO_CERTIFICATE', suggestions: ['issue the first one from your machine: `nexus ssl issue --target <target>`'] });
    }
    if (current?.renewalInfoError) this.note(`Warning: the CA's renewal information failed (${current.renewalInfoError}); the lifetime rule decides.`);
    if (current && !current.due && !flags.force) {
      this.log(`${current.domain}: not due (renewal from ${current.renewAt}${current.renewalBasis === 'ari' ? ', as the CA suggests' : ''}, ${current.daysLeft} days left); nothing to do.`);
      return { renewed: false, certificate: current };
    }
    if (current?.renewalWindow?.explanationURL) this.note(`The CA asks for an early renewal: ${current.renewalWindow.explanationURL}`);
    const certificate = await this.underDeployLock(deploy, hosts, 'nexus ssl renew', () => manager.issue(flags.staging, (message) => this.note(`  ${message}`), current?.renewalInfoId));
    this.log(`${certificate.domain}: renewed, valid until ${certificate.notAfter}.`);
    return { renewed: true, certificate, previous: current };
  }
}
