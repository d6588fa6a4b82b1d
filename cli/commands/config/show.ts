import { Document } from 'yaml';
import { NexusCommand } from '../../base-command';
import { loadDeployTarget, type DeployTarget } from '../../deploy-config/load';
import { requiredSecrets } from '../../deploy-config/secrets';
import { checked, sharedFlags } from '../../flags';

export interface ConfigShowResult {
  target: string;
  files: string[];
  app: DeployTarget['app'];
  config: DeployTarget['target'];
  /** Every secret the target needs: `[REDACTED]` when set, `[MISSING]` when found nowhere. */
  secrets: Record<string, string>;
  missingSecrets: string[];
}

export default class ConfigShow extends NexusCommand<ConfigShowResult> {
  static override summary = 'Print the resolved deploy configuration of a target (secrets redacted)';

  static override description =
    'Reads nexus.yml and nexus.<target>.yml, validates them and looks up the secrets the target needs, exactly as deploy commands do, and prints the result: each secret as [REDACTED] when set, [MISSING] when found nowhere (deploys stop on those). Exit code 3 when the files are invalid, with the key path of each problem.';

  static override examples = ['<%= config.bin %> config show --target production', '<%= config.bin %> config show --target staging --json'];

  static override flags = {
    target: checked('target')({ char: 't', description: 'Target name from nexus.yml.', required: true }),
    dir: sharedFlags.projectDir,
  };

  async run(): Promise<ConfigShowResult> {
    const { flags } = await this.parse(ConfigShow);
    const loaded = loadDeployTarget(flags.dir, flags.target, process.env, { allowMissingSecrets: true });
    const needed = requiredSecrets(loaded.app, loaded.target);
    const missing = new Set(loaded.missingSecrets.map((secret) => secret.name));
    const secrets = Object.fromEntries(needed.map(({ name }) => [name, missing.has(name) ? '[MISSING]' : '[REDACTED]']));
    const result = { target: loaded.name, files: loaded.files, app: loaded.app, config: loaded.target, secrets, missingSecrets: [...missing] };
    const document = new Document({ ...result, missingSecrets: undefined });
    // Each secret says why the target needs it: app.secrets names some, others follow from database/redis.
    for (const secret of needed) {
      const node = document.getIn(['secrets', secret.name], true) as { comment?: string } | undefined;
      if (node) node.comment = ` ${secret.reason}`;
    }
    this.log(document.toString().trimEnd());
    if (missing.size > 0) {
      this.note(`Missing secret${missing.size > 1 ? 's' : ''}: ${[...missing].join(', ')}. A deploy needs each: export it (CI) or add KEY=value lines to ${flags.dir === '.' ? '' : `${flags.dir}/`}.nexus/secrets (see \`nexus init\`'s output or docs/deploy.md).`);
    }
    return result;
  }
}
