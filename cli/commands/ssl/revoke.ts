import { Flags } from '@oclif/core';
import type { CertificateStatus } from '../../services/certificate-status';
import { SslCommand, sslFlags } from '../../ssl-command';

export default class SslRevoke extends SslCommand<{ revoked: CertificateStatus }> {
  static override summary = "Revoke a target's certificate (e.g. after its key leaked)";
  static override description = 'Asks the CA to revoke the certificate installed on the first host. The site keeps serving it until `nexus ssl issue` installs a new one, which you should do right after.';
  static override examples = ['<%= config.bin %> ssl revoke --target production --yes'];

  static override flags = {
    ...sslFlags,
    yes: Flags.boolean({ description: 'Do not ask for confirmation.' }),
  };

  async run(): Promise<{ revoked: CertificateStatus }> {
    const { flags } = await this.parse(SslRevoke);
    const { manager } = await this.certificates(flags);
    await this.confirmByTyping(flags, `Revoke the certificate of ${manager.domain}?`, manager.domain);
    const revoked = await manager.revoke(flags.staging);
    this.log(`Revoked ${revoked.serial} (${revoked.names.join(', ')}). Issue a new one now: nexus ssl issue --target ${flags.target}`);
    return { revoked };
  }
}
