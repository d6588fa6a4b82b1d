import { Flags } from '@oclif/core';
import { NexusCommand } from '../../base-command';
import { loadDeployTarget } from '../../deploy-config/load';
import { targetSite } from '../../remote/nginx-site';
import { checked, sharedFlags } from '../../flags';

export default class ConfigNginx extends NexusCommand<{ site: string }> {
  static override summary = "Print a target's nginx site, rendered from templates/nginx-site.conf";

  static override description =
    'The site nexus installs on the host: ACME webroot, HTTP → HTTPS to the canonical domain, auth rate limits on both user mounts, proxy headers the API trusts. Without --tls it serves the app over plain HTTP (before a certificate exists).';

  static override examples = [
    '<%= config.bin %> config nginx --target production --upstream-port 8001 --tls > /etc/nginx/sites-enabled/nexus.conf',
    '<%= config.bin %> config nginx --target staging --upstream-port 8002',
  ];

  static override flags = {
    target: checked('target')({ char: 't', description: 'Target name from nexus.yml.', required: true }),
    dir: sharedFlags.projectDir,
    'upstream-port': Flags.integer({ description: 'Loopback port of the release that should serve.', required: true, min: 1, max: 65535 }),
    tls: Flags.boolean({ description: 'Serve HTTPS with the certificate under <root>/certs/<first domain>/.' }),
    'body-limit': checked('nginxSize')({ description: 'Largest request body nginx lets through (match MEDIA_MAX_BYTES). Default: nginx.body_limit from nexus.yml.' }),
  };

  async run(): Promise<{ site: string }> {
    const { flags } = await this.parse(ConfigNginx);
    // Only the layout is needed here: secrets are not loaded, so this also works on a machine without them.
    const deploy = loadDeployTarget(flags.dir, flags.target, process.env, { secrets: false });
    const site = targetSite(deploy, flags['upstream-port'], { tls: flags.tls, bodyLimit: flags['body-limit'] });
    this.log(site.trimEnd());
    return { site };
  }
}
