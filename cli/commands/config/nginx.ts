import { Flags } from '@oclif/core';
import { NexusCommand } from '../../base-command';
import { loadDeployTarget } from '../../deploy-config/load';
import { HostLayout } from '../../remote/layout';
import { renderNginxSite } from '../../remote/nginx-site';

export default class ConfigNginx extends NexusCommand<{ site: string }> {
  static override summary = "Print a target's nginx site, rendered from templates/nginx-site.conf";

  static override description =
    'The site nexus installs on the host: ACME webroot, HTTP → HTTPS to the canonical domain, auth rate limits on both user mounts, proxy headers the API trusts. Without --tls it serves the app over plain HTTP (before a certificate exists).';

  static override examples = [
    '<%= config.bin %> config nginx --target production --upstream-port 8001 --tls > /etc/nginx/sites-enabled/nexus.conf',
    '<%= config.bin %> config nginx --target staging --upstream-port 8002',
  ];

  static override flags = {
    target: Flags.string({ char: 't', description: 'Target name from nexus.yml.', required: true }),
    dir: Flags.string({ description: 'Directory holding nexus.yml.', default: '.' }),
    'upstream-port': Flags.integer({ description: 'Loopback port of the release that should serve.', required: true, min: 1, max: 65535 }),
    tls: Flags.boolean({ description: 'Serve HTTPS with the certificate under <root>/certs/<first domain>/.' }),
    'body-limit': Flags.string({ description: 'Largest request body nginx lets through (match MEDIA_MAX_BYTES). Default: nginx.body_limit from nexus.yml.' }),
  };

  async run(): Promise<{ site: string }> {
    const { flags } = await this.parse(ConfigNginx);
    // Only the layout is needed here: secrets are not loaded, so this also works on a machine without them.
    const { name, app, target } = loadDeployTarget(flags.dir, flags.target, process.env, { secrets: false });
    const layout = HostLayout.of(target);
    const certificate = layout.certificates(target.domains[0] as string);
    const site = renderNginxSite({
      app: app.name,
      target: name,
      domains: target.domains,
      upstreamPort: flags['upstream-port'],
      webroot: layout.webroot,
      nginxDir: target.nginx.dir,
      httpPort: target.nginx.http_port,
      httpsPort: target.nginx.https_port,
      certificate: flags.tls ? { fullchain: certificate.fullchain, key: certificate.key } : undefined,
      bodyLimit: flags['body-limit'] ?? target.nginx.body_limit,
      ipv6: target.nginx.ipv6,
    });
    this.log(site.trimEnd());
    return { site };
  }
}
