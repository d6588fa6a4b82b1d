import * as acme from 'acme-client';
import { dnsProviderFor, type DnsProvider } from '../acme/dns-providers';
import { fetchRenewalInfo } from '../acme/renewal-info';
import type { DeployTarget } from '../deploy-config/load';
import { NexusError } from '../errors';
import { restoreCertificate, swapInCertificate } from '../remote/certificates';
import { FILE_MISSING_STATUS, readFile, writeFile } from '../remote/files';
import { colourPort } from '../remote/layout';
import { certificateStatus, leafOf, type CertificateStatus, type RenewalInfo } from './certificate-status';
import { ChallengeResponder } from './challenge-responder';
import type { HostDeployer } from './host-deployer';

const DIRECTORIES: Record<string, { production: string; staging?: string }> = acme.directory;

/** How often an order or challenge is polled: acme-client's 5 s default makes every issue take seconds. */
function backoff(env: NodeJS.ProcessEnv): { backoffMin: number; backoffMax: number } {
  const min = Number(env.NEXUS_ACME_POLL_MS ?? 1000);
  return { backoffMin: min, backoffMax: Math.max(min, 10 * min) };
}

/** The secrets the tls settings name (the exec DNS hook's variables among them). */
export function tlsSecretNames(deploy: DeployTarget): string[] {
  const { tls } = deploy.target;
  const provider = tls.dns_provider;
  return [
    ...(tls.eab_kid ? ['ACME_EAB_HMAC_KEY'] : []),
    ...(provider?.type === 'rfc2136' ? ['RFC2136_TSIG_SECRET'] : []),
    ...(provider?.type === 'exec' ? provider.env : []),
  ];
}

/** The fullchain (PEM) of a domain's certificate installed on a host, if there is one. No secret is needed to read it. */
export async function installedCertificate(host: HostDeployer, domain: string): Promise<string | undefined> {
  const file = host.layout.certificates(domain).fullchain;
  const result = await host.exec.run(readFile(file));
  if (result.code === FILE_MISSING_STATUS) return undefined;
  if (result.code !== 0) throw new NexusError(`Could not read ${file}: ${result.stderr.trim()}`, { code: 'CERTIFICATE_UNREADABLE' });
  return result.stdout;
}

/**
 * acme-client's auto() builds the order itself, so `replaces` is added on its way out. A CA that refuses it
 * (the old certificate was already replaced, or it does not know the field) gets the plain order.
 */
function orderReplacing(client: acme.Client, replaces: string): void {
  const createOrder = client.createOrder.bind(client);
  client.createOrder = async (data) => {
    try {
      return await createOrder({ ...data, replaces } as typeof data);
    } catch (error) {
      if (!/alreadyReplaced|replaces|malformed/i.test((error as Error).message)) throw error;
      return createOrder(data);
    }
  };
}

function acmeFailure(action: string, error: unknown): NexusError {
  const message = error instanceof Error ? error.message : String(error);
  return new NexusError(`Could not ${action}: ${message}. The existing certificate and nginx are untouched.`, { code: 'ACME_FAILED' });
}

/**
 * A target's certificate: one for all its domains, issued over ACME from here, its challenges answered on
 * the hosts (http-01 tokens in each host's webroot, served by nginx) or in DNS (dns-01 through a provider),
 * then installed on every host and switched to only when `nginx -t` accepts it.
 */
export class CertificateManager {
  private readonly provider: DnsProvider | undefined;

  constructor(
    private readonly hosts: readonly HostDeployer[],
    private readonly deploy: DeployTarget,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.provider = dnsProviderFor(deploy.target, deploy.secrets, (hosts[0] as HostDeployer).exec);
  }

  private get first(): HostDeployer {
    return this.hosts[0] as HostDeployer;
  }

  get domain(): string {
    return this.deploy.target.domains[0] as string;
  }

  directoryUrl(staging: boolean): string {
    const { ca } = this.deploy.target.tls;
    const known = DIRECTORIES[ca];
    if (!known) return ca;
    if (!staging) return known.production;
    if (!known.staging) throw new NexusError(`${ca} has no staging directory.`, { code: 'USAGE', exitCode: 2 });
    return known.staging;
  }

  /**
   * The certificate on the first host, if there is one. With `ca`, its renewal time is the window the CA
   * suggests over ARI when the CA offers it; otherwise (and offline) the lifetime rule.
   */
  async status(ca?: { staging: boolean }): Promise<CertificateStatus | undefined> {
    const pem = await this.installed();
    if (pem === undefined) return undefined;
    const info = ca ? await this.renewalInfo(pem, ca.staging) : undefined;
    return certificateStatus(this.domain, pem, this.deploy.target.tls.renew_fraction, new Date(), info);
  }

  private async renewalInfo(pem: string, staging: boolean): Promise<RenewalInfo> {
    const answer = await fetchRenewalInfo(this.directoryUrl(staging), leafOf(pem).toString());
    if (!answer.offered) return undefined;
    return 'window' in answer ? { window: answer.window, certificateId: answer.certificateId } : { error: answer.error };
  }

  /** The installed fullchain (PEM) on the first host, if there is one. */
  private installed(): Promise<string | undefined> {
    return installedCertificate(this.first, this.domain);
  }

  /** The ACME account key, kept on the first host (mode 600) so that every operator and CI job shares it. */
  private async accountKey(): Promise<Buffer> {
    const file = this.first.layout.accountKey;
    const existing = await this.first.exec.run(readFile(file));
    if (existing.code === 0) return Buffer.from(existing.stdout);
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    await this.first.run('store the ACME account key', writeFile(file, '600'), { stdin: key.toString() });
    return key;
  }

  /**
   * The CA's directory, fetched once with a bounded wait: acme-client retries an unreachable CA for over a
   * minute and then reports `Cannot read properties of undefined`, which helps nobody.
   */
  private async checkDirectory(url: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new NexusError(`The ACME directory ${url} cannot be reached: ${reason}. Nothing was changed.`, {
        code: 'ACME_UNREACHABLE',
        suggestions: ['check tls.ca in nexus.yml and the network; for a private CA, trust its certificate with NODE_EXTRA_CA_CERTS'],
      });
    }
    // Rate limits and server errors are acme-client's to retry (it honours Retry-After).
    if (response.status === 429 || response.status >= 500) return;
    const body = (await response.json().catch(() => ({}))) as { newOrder?: unknown };
    if (!response.ok || typeof body.newOrder !== 'string') {
      throw new NexusError(`${url} is not an ACME directory (HTTP ${response.status}). Nothing was changed.`, { code: 'ACME_UNREACHABLE' });
    }
  }

  private async client(staging: boolean): Promise<acme.Client> {
    await this.checkDirectory(this.directoryUrl(staging));
    const { eab_kid } = this.deploy.target.tls;
    const hmacKey = this.deploy.secrets.get('ACME_EAB_HMAC_KEY')?.reveal();
    if (eab_kid && !hmacKey) throw new NexusError('tls.eab_kid is set but the ACME_EAB_HMAC_KEY secret is missing.', { code: 'DEPLOY_CONFIG', exitCode: 3 });
    return new acme.Client({
      directoryUrl: this.directoryUrl(staging),
      accountKey: await this.accountKey(),
      externalAccountBinding: eab_kid && hmacKey ? { kid: eab_kid, hmacKey } : undefined,
      ...backoff(this.env),
    });
  }

  /**
   * Finds the account of the key, or registers it. Asking with onlyReturnExisting first matters: updating an
   * existing account with nothing but the terms (what acme-client does without a contact) is refused.
   */
  private async ensureAccount(client: acme.Client): Promise<void> {
    try {
      await client.createAccount({ onlyReturnExisting: true });
    } catch (error) {
      if (!/accountDoesNotExist|does not exist|unable to find existing account/i.test((error as Error).message)) throw error;
      const { email } = this.deploy.target.tls;
      await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
    }
  }

  private challengeType(names: readonly string[]): 'http-01' | 'dns-01' {
    const wildcard = names.some((name) => name.startsWith('*.'));
    const type = wildcard ? 'dns-01' : this.deploy.target.tls.challenge;
    if (type === 'dns-01' && !this.provider) {
      throw new NexusError(`${wildcard ? 'Wildcard names need' : 'tls.challenge dns-01 needs'} a DNS provider: set tls.dns_provider in nexus.yml.`, { code: 'DEPLOY_CONFIG', exitCode: 3 });
    }
    return type;
  }

  /**
   * Obtains a certificate for every domain of the target and installs it. `replaces` (an ARI certificate id)
   * tells a CA with ARI which certificate this one succeeds. @returns the new certificate's status
   */
  async issue(staging: boolean, report: (message: string) => void = () => undefined, replaces?: string): Promise<CertificateStatus> {
    const names = [...this.deploy.target.domains];
    const type = this.challengeType(names);
    const client = await this.client(staging);
    if (replaces) orderReplacing(client, replaces);
    const { key_type, email } = this.deploy.target.tls;
    const key = key_type === 'rsa' ? await acme.crypto.createPrivateRsaKey(2048) : await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names }, key);
    const responder = new ChallengeResponder(this.hosts, this.first.layout.webroot, this.provider, names, type);
    let certificate: string;
    try {
      await this.ensureAccount(client);
      certificate = await client.auto({
        csr,
        email,
        termsOfServiceAgreed: true,
        challengePriority: [type],
        // The names were checked by `nexus dns verify` first; acme-client's own check would use port 80 and
        // the system resolver, neither of which is the CA's view.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          report(`${challenge.type} for ${authz.identifier.value}`);
          await responder.create(authz, challenge, keyAuthorization);
        },
        challengeRemoveFn: (authz, challenge, keyAuthorization) => responder.remove(authz, challenge, keyAuthorization),
      });
    } catch (error) {
      throw acmeFailure(`obtain a certificate for ${names.join(', ')}`, error);
    }
    report('installing on the hosts');
    for (const host of this.hosts) await this.install(host, certificate, key.toString());
    return certificateStatus(this.domain, certificate, this.deploy.target.tls.renew_fraction);
  }

  /**
   * Uploads beside the old one, swaps, and points nginx at it; if nginx refuses, the old one comes back. A
   * scheduled job (its key gated) only reloads nginx: it renews a certificate the site already serves, and its
   * key may not write nginx configuration (which nginx's root master would act on).
   */
  private async install(host: HostDeployer, fullchain: string, privateKey: string): Promise<void> {
    const { dir } = host.layout.certificates(this.domain);
    await host.run('upload the certificate', writeFile(`${dir}.next/fullchain.pem`, '644'), { stdin: fullchain });
    await host.run('upload the private key', writeFile(`${dir}.next/privkey.pem`, '600'), { stdin: privateKey });
    await host.run('put the certificate in place', swapInCertificate(dir));
    try {
      if (this.deploy.target.ssh.gated) await host.reloadNginx();
      else await host.switchNginx((await host.serving())?.port ?? colourPort(this.deploy.app.port, 'blue'));
    } catch (error) {
      await host.run('restore the previous certificate', restoreCertificate(dir));
      throw error;
    }
  }

  async revoke(staging: boolean): Promise<CertificateStatus> {
    const pem = await this.installed();
    if (pem === undefined) throw new NexusError(`No certificate to revoke at ${this.first.layout.certificates(this.domain).fullchain}.`, { code: 'NO_CERTIFICATE' });
    const status = certificateStatus(this.domain, pem, this.deploy.target.tls.renew_fraction);
    const client = await this.client(staging);
    try {
      // Revocation is signed by the account that ordered the certificate.
      await this.ensureAccount(client);
      await client.revokeCertificate(pem);
    } catch (error) {
      throw acmeFailure(`revoke certificate ${status.serial}`, error);
    }
    return status;
  }
}
