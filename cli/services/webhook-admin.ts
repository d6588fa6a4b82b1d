import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { ConfigError, settings, type Config } from '../../api/config';
import { readPackageVersion } from '../../api/config/version';
import { AppError, type FieldErrors } from '../../api/errors';
import { createLogger } from '../../api/infra/logger';
import { createWebhooksModule, type WebhookSubscriptions } from '../../api/modules/webhooks';
import { NexusError, UsageError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { DatabaseTarget } from './database';
import { devDir } from './dev-state';

type WebhookConfig = Pick<Config, 'webhooks' | 'delivery' | 'version'>;

/** What `nexus dev` lets its API and worker reach (cli/services/local-stack.ts): the same for its CLI. */
const DEV_ALLOW_HOSTS = 'localhost,127.0.0.1,::1';

function setting<T>(env: NodeJS.ProcessEnv, name: keyof typeof settings, problems: string[], fallback?: string): T | undefined {
  const spec = settings[name] as { schema: { safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: { message: string }[] } } }; default?: string };
  const given = env[name];
  // As the API reads it, an empty variable is unset; `nexus dev` gives its own default only when none is set.
  const value = given === undefined && fallback !== undefined ? fallback : given === undefined || given === '' ? spec.default : given;
  if (value === undefined) return undefined;
  const parsed = spec.schema.safeParse(value);
  if (!parsed.success) problems.push(`${name}: ${parsed.error?.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.data as T;
}

/**
 * The key that seals signing secrets, as the API and worker derive it: WEBHOOK_SECRET_KEY, else from
 * JWT_SECRET, else (against a running `nexus dev`) from the JWT secret that stack generated for itself.
 */
function secretKey(env: NodeJS.ProcessEnv, target: DatabaseTarget, problems: string[]): string | undefined {
  const explicit = setting<string>(env, 'WEBHOOK_SECRET_KEY', problems);
  if (explicit) return explicit;
  if (env.JWT_SECRET) return `jwt:${env.JWT_SECRET}`;
  if (target.source !== 'nexus dev') return undefined;
  try {
    return `jwt:${readFileSync(join(devDir(), 'jwt-secret'), 'utf8')}`;
  } catch {
    return undefined;
  }
}

/**
 * The webhook settings of the API, read from the same variables with the same schema.
 * @param options.needsKey the command seals a secret (add, rotate-secret): without the API's key it would be unreadable
 * @param options.production the API there requires https (NODE_ENV, or the database's own record)
 * @throws {ConfigError} naming each bad variable, or the missing key
 */
export function webhookConfig(target: DatabaseTarget, options: { needsKey: boolean; production: boolean }, env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const problems: string[] = [];
  const { needsKey, production } = options;
  const allowHosts = setting<string[]>(env, 'WEBHOOK_ALLOW_HOSTS', problems, target.source === 'nexus dev' ? DEV_ALLOW_HOSTS : undefined) ?? [];
  const key = secretKey(env, target, problems);
  if (needsKey && !key && problems.length === 0) {
    problems.push('WEBHOOK_SECRET_KEY: required to seal a signing secret the API and worker can read (set it, or JWT_SECRET, as they have it)');
  }
  const config: WebhookConfig = {
    version: readPackageVersion(),
    webhooks: {
      allowHosts: allowHosts.map((host) => host.toLowerCase()),
      // A command that seals nothing never uses the key: a random one stands in.
      secretKey: key ?? randomBytes(32).toString('base64'),
      timeoutMs: (setting<number>(env, 'WEBHOOK_TIMEOUT', problems) ?? 10) * 1000,
      disableAfter: setting<number>(env, 'WEBHOOK_DISABLE_AFTER', problems) ?? 25,
      requireHttps: production,
    },
    delivery: {
      retryWindowSeconds: setting<number>(env, 'DELIVERY_RETRY_WINDOW', problems) ?? 86_400,
      retryBaseSeconds: setting<number>(env, 'DELIVERY_RETRY_BASE_DELAY', problems) ?? 30,
      retryMaxSeconds: setting<number>(env, 'DELIVERY_RETRY_MAX_DELAY', problems) ?? 3600,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The webhooks module's subscriptions service on this database (the rules of the staff API, audited as the CLI operator). */
export function webhookAdmin(db: Knex, config: WebhookConfig): WebhookSubscriptions {
  return createWebhooksModule({ db, config, logger: createLogger({ level: 'silent' }) }).subscriptions;
}

/** The API's field names as the flags that set them. */
const FLAG_OF: Record<string, string> = { url: '--url', events: '--events', description: '--description', non_field_errors: 'input' };

function fieldText(fields: FieldErrors): string {
  return Object.entries(fields)
    .map(([field, messages]) => `${FLAG_OF[field] ?? field}: ${Array.isArray(messages) ? messages.join(' ') : fieldText(messages)}`)
    .join('; ');
}

/** The service's refusals as CLI errors: bad input exits 2, an unknown id 1 (WEBHOOK_NOT_FOUND), a refused change 5. */
export function asWebhookCliError(error: unknown): never {
  if (error instanceof AppError) {
    if (error.status === 400 && error.fields) throw new UsageError(fieldText(error.fields));
    if (error.status === 404) {
      throw new NexusError(error.message.replace('WebhookSubscription', 'webhook subscription').replace('WebhookDelivery', 'delivery'), {
        code: 'WEBHOOK_NOT_FOUND',
        suggestions: ['`nexus webhooks list` shows the subscriptions, `nexus webhooks deliveries <id>` their deliveries'],
      });
    }
    if (error.status === 409) throw new NexusError(error.message, { code: 'REFUSED', exitCode: ExitCode.REFUSED });
  }
  throw error;
}
