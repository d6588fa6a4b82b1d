import { Flags } from '@oclif/core';
import { loadSecrets } from './deploy-config/secrets';
import type { DeployTarget } from './deploy-config/load';
import { DeployConfigError } from './deploy-config/load';
import { CertificateManager, tlsSecretNames } from './services/certificate-manager';
import { withDeployLock } from './services/deploy-lock';
import { HostDeployer } from './services/host-deployer';
import { NginxLoadBalancer } from './services/load-balancer';
import { siteHosts } from './services/health-target';
import { renewalCalls } from './services/job-allow-lists';
import { HostLayout } from './remote/layout';
import type { JobSpec } from './services/scheduled-job';
import { TargetCommand, targetFlags } from './target-command';

export const sslFlags = {
  ...targetFlags,
  staging: Flags.boolean({ description: "Use the CA's staging directory (untrusted certificates, generous rate limits)." }),
};

/** The host's daily renewal: `nexus ssl renew` with the secrets tls names. */
export function renewalJob(deploy: DeployTarget): JobSpec {
  const domain = deploy.target.domains[0] as string;
  // Its expiry is reported only where the job runs, the first app host: not when TLS ends on a balancer's host.
  const onJobHost = siteHosts(deploy.target)[0] === deploy.target.hosts[0];
  const certificate = onJobHost ? { domain, fullchain: HostLayout.of(deploy.target).certificates(domain).fullchain } : undefined;
  return { name: 'ssl-renew', args: ['ssl', 'renew'], secrets: tlsSecretNames(deploy), calls: renewalCalls(deploy), certificate };
}

/** A command that works on a target's certificate: every host connected, the secrets tls names loaded. */
export abstract class SslCommand<T> extends TargetCommand<T> {
  protected async certificates(flags: { target: string; dir: string }): Promise<{ deploy: DeployTarget; manager: CertificateManager; hosts: HostDeployer[]; jobHosts: HostDeployer[] }> {
    const deploy = this.loadTarget(flags);
    const { secrets, missing } = loadSecrets(tlsSecretNames(deploy), flags.dir, process.env);
    if (missing.length > 0) throw new DeployConfigError(`Missing secret${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (named by tls in nexus.yml).`, ['export it, or add it to .nexus/secrets']);
    for (const [name, secret] of secrets) deploy.secrets.set(name, secret);
    const hosts: HostDeployer[] = [];
    for (const host of deploy.target.hosts) hosts.push(new HostDeployer(await this.connect(deploy, host), deploy));
    // Behind the nginx load balancer, TLS ends there: its host answers the challenges and serves the certificate.
    const balancer = deploy.target.load_balancer;
    const balancerHost = balancer?.type === 'nginx' ? new NginxLoadBalancer(await this.connect(deploy, balancer.host), deploy, balancer).host : undefined;
    // The renewal job runs on the first app host (it has the image) and reaches the balancer's host through its gate too.
    const jobHosts = balancerHost ? [...hosts, balancerHost] : hosts;
    return { deploy, manager: new CertificateManager(balancerHost ? [balancerHost] : hosts, deploy), hosts, jobHosts };
  }

  /** Installing a certificate switches nginx, which a deploy does too: both happen under the deploy lock (on the first app host, as a deploy's). */
  protected underDeployLock<R>(deploy: DeployTarget, hosts: readonly HostDeployer[], reason: string, work: () => Promise<R>): Promise<R> {
    return withDeployLock((hosts[0] as HostDeployer).exec, deploy.target, reason, (message) => this.note(message), work);
  }
}
