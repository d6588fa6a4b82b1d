import type * as acme from 'acme-client';
import { dnsChallengeName, dnsChallengeValue, httpChallengeFile } from '../acme/challenges';
import type { DnsProvider } from '../acme/dns-providers';
import { NexusError } from '../errors';
import { removeFile } from '../remote/certificates';
import { writeFile } from '../remote/files';
import type { HostDeployer } from './host-deployer';

type Authorization = acme.Authorization;
type Challenge = Parameters<acme.ClientAutoOptions['challengeCreateFn']>[1];

/**
 * Answers an order's challenges: http-01 tokens in every host's webroot (served by nginx), dns-01 records
 * through the DNS provider. Tokens and names come from the CA: they are checked before they become a file
 * name or a DNS record.
 */
export class ChallengeResponder {
  constructor(
    private readonly hosts: readonly HostDeployer[],
    private readonly webroot: string,
    private readonly provider: DnsProvider | undefined,
    /** The names ordered: an authorization for any other is refused. */
    private readonly names: readonly string[],
    private readonly type: 'http-01' | 'dns-01',
  ) {}

  async create(authz: Authorization, challenge: Challenge, keyAuthorization: string): Promise<void> {
    if (challenge.type !== this.type) throw new NexusError(`the CA offered ${challenge.type} for ${authz.identifier.value}, not ${this.type}`, { code: 'ACME_REFUSED' });
    const name = dnsChallengeName(authz.identifier.value, this.names);
    if (challenge.type === 'http-01') {
      const path = httpChallengeFile(this.webroot, challenge.token);
      for (const host of this.hosts) await host.run('publish the http-01 token', writeFile(path, '644'), { stdin: keyAuthorization });
      return;
    }
    await this.provider?.present(name, dnsChallengeValue(keyAuthorization));
    const seconds = this.provider?.propagationSeconds ?? 0;
    if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }

  async remove(authz: Authorization, challenge: Challenge, keyAuthorization: string): Promise<void> {
    if (challenge.type === 'http-01') {
      const path = httpChallengeFile(this.webroot, challenge.token);
      for (const host of this.hosts) await host.exec.run(removeFile(path));
      return;
    }
    await this.provider?.cleanup(dnsChallengeName(authz.identifier.value, this.names), dnsChallengeValue(keyAuthorization));
  }
}
