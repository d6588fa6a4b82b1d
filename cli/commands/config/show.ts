import { Flags } from '@oclif/core';
import { stringify } from 'yaml';
import { NexusCommand } from '../../base-command';
import { loadDeployTarget, type DeployTarget } from '../../deploy-config/load';
import { sharedFlags } from '../../flags';

export interface ConfigShowResult {
  target: string;
  files: string[];
  app: DeployTarget['app'];
  config: DeployTarget['target'];
  secrets: Record<string, string>;
}

export default class ConfigShow extends NexusCommand<ConfigShowResult> {
  static override summary = 'Print the resolved deploy configuration of a target (secrets redacted)';

  static override description =
    'Reads nexus.yml and nexus.<target>.yml, validates them and loads the named secrets, exactly as deploy commands do, and prints the result. Exit code 3 when anything is invalid or missing, with the key path of each problem.';

  static override examples = ['<%= config.bin %> config show --target production', '<%= config.bin %> config show --target staging --json'];

  static override flags = {
    target: Flags.string({ char: 't', description: 'Target name from nexus.yml.', required: true }),
    dir: sharedFlags.projectDir,
  };

  async run(): Promise<ConfigShowResult> {
    const { flags } = await this.parse(ConfigShow);
    const loaded = loadDeployTarget(flags.dir, flags.target);
    const secrets = Object.fromEntries([...loaded.secrets.keys()].map((name) => [name, '[REDACTED]']));
    const result = { target: loaded.name, files: loaded.files, app: loaded.app, config: loaded.target, secrets };
    this.log(stringify(result).trimEnd());
    return result;
  }
}
