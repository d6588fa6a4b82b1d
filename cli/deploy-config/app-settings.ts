import { ConfigError, loadConfig, settings } from '../../api/config';
import { appEnvironment } from './app-env';
import { DeployConfigError, type DeployTarget } from './load';
import { requiredSecrets } from './secrets';

/**
 * The API's own settings, seen from the CLI: which values `nexus init` offers, and whether the environment a
 * deploy gives the container would start the API at all. Both come from api/config, never from a copy.
 */

/** Mail transports production accepts: the schema's, less `log`, which production refuses (reset links in the logs). */
export const PRODUCTION_MAIL_TRANSPORTS: readonly string[] = settings.MAIL_TRANSPORT.schema.options.filter((transport) => transport !== 'log');

export const PAYMENT_PROVIDERS: readonly string[] = settings.PAYMENT_PROVIDER.schema.options;

/** Each problem the API's configuration loader finds in the env the deploy would give the container. */
export function appConfigProblems(deploy: DeployTarget): string[] {
  try {
    loadConfig(Object.fromEntries(appEnvironment(deploy)));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** Where the operator sets a variable: .nexus/secrets for a secret, else an env: key of nexus.yml. */
function whereToSet(name: string, deploy: DeployTarget): string {
  const secret = (settings as Record<string, { secret?: boolean }>)[name]?.secret || requiredSecrets(deploy.app, deploy.target).some((needed) => needed.name === name);
  if (secret) return `set ${name} in .nexus/secrets (or the environment); never in nexus.yml`;
  return `set ${name} under env: in nexus.yml (app.env for every target, or targets.${deploy.name}.env)`;
}

/**
 * Refuses a deploy whose release the API would refuse to start (it would fail only after the build and the
 * migrations), naming each setting and where to set it.
 * @throws {DeployConfigError} listing every problem
 */
export function assertAppConfig(deploy: DeployTarget): void {
  const problems = appConfigProblems(deploy);
  if (problems.length === 0) return;
  const lines = problems.map((problem) => {
    const name = /^([A-Z][A-Z0-9_]*):/.exec(problem)?.[1];
    return `  - ${problem}${name ? `\n    → ${whereToSet(name, deploy)}` : ''}`;
  });
  throw new DeployConfigError(
    `The API would refuse to start with the configuration target ${deploy.name} gives it (checked with the API's own settings schema); nothing was built or changed:\n${lines.join('\n')}`,
    ['each setting is described in docs/configuration.md; secrets in docs/deploy.md §2'],
  );
}
