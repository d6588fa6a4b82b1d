import { Flags } from '@oclif/core';
import { DEFAULT_RESOLVERS } from '../../deploy-config/schema';
import { UsageError } from '../../errors';
import { HostDeployer } from '../../services/host-deployer';
import { NginxLoadBalancer } from '../../services/load-balancer';
import { askedLine, checkDns, dnsError, resolverSpecs, targetDnsPlan, type DnsCheckPlan, type DnsCheckReport } from '../../services/dns-check';
import { TargetCommand } from '../../target-command';
import { checked, sharedFlags } from '../../flags';

export default class DnsVerify extends TargetCommand<DnsCheckReport> {
  static override summary = "Check that a target's domains point at its hosts, everywhere";
  static override description = `Asks the system resolver and each configured resolver (dns.resolvers in nexus.yml, by default ${DEFAULT_RESOLVERS.join(', ')}; or --resolver) for every domain's A and AAAA records and compares them with the target's host addresses (its nginx load balancer's when it has one; with an external balancer, --expect is required). It also reads CAA (the closest records must allow the CA), flags CNAMEs and Cloudflare-proxied answers, and with --target places a one-time token in the host's ACME webroot and fetches it over HTTP from each address, so "points at the host" is proven, not assumed. The report names the resolvers it asked (its first line; resolvers in --json).

Exit 0: consistent everywhere. Exit 12: not propagated yet (some resolvers lack the records or still give old ones). Exit 13: wrong (the records point elsewhere, or CAA forbids the CA, or port 80 does not reach the host). --wait polls until consistent or --timeout.`;

  static override examples = [
    '<%= config.bin %> dns verify --target production',
    '<%= config.bin %> dns verify --domain shop.example.com --expect 203.0.113.10 --resolver 1.1.1.1 --wait',
  ];

  static override flags = {
    target: checked('target')({ char: 't', description: 'Target name from nexus.yml: its domains, hosts and resolvers.' }),
    dir: sharedFlags.projectDir,
    domain: checked('domain')({ description: 'A domain to check (repeatable); without --target.', multiple: true }),
    expect: checked('ipAddress')({ description: 'An address the domains should resolve to (repeatable); without --target.', multiple: true }),
    resolver: checked('resolver')({ description: 'A resolver to ask, e.g. 1.1.1.1 or 127.0.0.1:5353 (repeatable; replaces dns.resolvers).', multiple: true }),
    'no-system': Flags.boolean({ description: "Do not ask the machine's own resolver." }),
    'caa-identity': checked('domain')({ description: 'The CA that CAA must allow. Default: tls.caa_identity, or letsencrypt.org.' }),
    wait: Flags.boolean({ description: 'Poll until consistent (or wrong), up to --timeout.' }),
    timeout: Flags.integer({ description: 'Seconds --wait polls for.', default: 600, min: 1 }),
    interval: Flags.integer({ description: 'Seconds between polls.', default: 15, min: 1 }),
  };

  async run(): Promise<DnsCheckReport> {
    const { flags } = await this.parse(DnsVerify);
    const plan = await this.plan(flags);
    const deadline = Date.now() + flags.timeout * 1000;
    let report = await checkDns(plan);
    while (flags.wait && report.verdict === 'not propagated' && Date.now() < deadline) {
      this.note(`not propagated yet; checking again in ${flags.interval} s`);
      await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
      report = await checkDns(plan);
    }
    this.log(askedLine(report));
    for (const domain of report.domains) {
      this.log(`${domain.domain}: ${domain.verdict}`);
      for (const answer of domain.answers) this.log(`  ${answer.resolver.padEnd(22)} ${answer.verdict.padEnd(8)} ${answer.addresses.join(', ')}${answer.detail ? `  ${answer.detail}` : ''}`);
      for (const entry of domain.reachability ?? []) this.log(`  reach ${entry.address}: http ${entry.http}, https ${entry.https}`);
      for (const note of domain.notes) this.log(`  note: ${note}`);
    }
    const error = dnsError(report);
    if (error) throw error;
    return report;
  }

  private async plan(flags: { target?: string; dir: string; domain?: string[]; expect?: string[]; resolver?: string[]; 'no-system': boolean; 'caa-identity'?: string }): Promise<DnsCheckPlan> {
    if (!flags.target) {
      if (!flags.domain?.length || !flags.expect?.length) throw new UsageError('Without --target, pass --domain and --expect.', ['e.g. --domain shop.example.com --expect 203.0.113.10']);
      return { domains: flags.domain, expected: flags.expect, resolvers: resolverSpecs(flags.resolver ?? [], !flags['no-system']), caaIdentity: flags['caa-identity'] ?? 'letsencrypt.org' };
    }
    const deploy = this.loadTarget({ target: flags.target, dir: flags.dir });
    const balancer = deploy.target.load_balancer;
    if (balancer?.type === 'external' && !flags.expect?.length) {
      throw new UsageError("With an external load balancer, the names point at the balancer's address, which nexus.yml does not know.", ['pass it with --expect (repeatable), e.g. --expect 198.51.100.7']);
    }
    let hosts: Promise<HostDeployer[]> | undefined;
    // The site is served by the nginx load balancer's host when there is one: the token goes in its webroot.
    const connected = () =>
      (hosts ??=
        balancer?.type === 'nginx'
          ? this.connect(deploy, balancer.host).then((exec) => [new NginxLoadBalancer(exec, deploy, balancer).host])
          : Promise.all(deploy.target.hosts.map(async (host) => new HostDeployer(await this.connect(deploy, host), deploy))));
    const plan = await targetDnsPlan(deploy, connected, { resolvers: flags.resolver, system: !flags['no-system'] });
    return { ...plan, domains: flags.domain ?? plan.domains, expected: flags.expect ?? plan.expected, caaIdentity: flags['caa-identity'] ?? plan.caaIdentity };
  }
}
