import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { settings, type RawSettings, type SettingSpec } from './schema';
import { readPackageVersion } from './version';

export type Environment = 'development' | 'test' | 'production';
export type RateLimitRule = { max: number; windowSeconds: number };

export interface Config {
  env: Environment;
  isProduction: boolean;
  version: string;
  server: { host: string; port: number; bodyLimit: string; bodyLimitBytes: number; shutdownTimeoutMs: number; trustProxy: boolean | number | string[]; allowedHosts: string[] };
  database: { url: string; poolMax: number; statementTimeoutMs: number };
  redis: { url?: string; cacheUrl?: string; keyPrefix: string };
  jwt: { secret: string; secretGenerated: boolean; accessTtlSeconds: number; refreshTtlSeconds: number };
  cors: { origins: string[]; credentials: boolean };
  log: { level: RawSettings['LOG_LEVEL']; format?: 'json' | 'pretty' };
  /** Prometheus metrics: on a listener of their own (port), and/or on the API's port behind a bearer token. */
  metrics: { enabled: boolean; port?: number; host: string; token?: string };
  rateLimit: {
    enabled: boolean;
    login: RateLimitRule;
    register: RateLimitRule;
    passwordReset: RateLimitRule;
    passwordResetConfirm: RateLimitRule;
    tokenRefresh: RateLimitRule;
    reads: RateLimitRule;
    writes: RateLimitRule;
  };
  passwordReset: { urlTemplate: string; ttlSeconds: number };
  mail: { transport: 'smtp' | 'log' | 'disabled'; smtpUrl?: string; from: string };
  media: {
    root: string;
    maxBytes: number;
    /** `local`: files under root; `s3`: objects in the bucket (s3 is set then). */
    storage: 'local' | 's3';
    s3?: { bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean; credentials?: { accessKeyId: string; secretAccessKey: string } };
    /** MEDIA_PUBLIC_URL ending in `/`: image links are made on it; unset, on the API's own `/media/`. */
    publicUrl?: string;
  };
  catalog: { cacheTtlSeconds: number };
  console: { enabled: boolean; idleSeconds: number; lifetimeSeconds: number };
  catalogEvents: { lowStockThreshold: number };
  /** Where the API is reached from outside, and what the shop calls itself in mail. */
  shop: { publicUrl: string; mediaBase: string; name: string; supportEmail: string; orderUrlTemplate: string };
  webhooks: { allowHosts: string[]; secretKey: string; timeoutMs: number; disableAfter: number; requireHttps: boolean };
  delivery: { retryWindowSeconds: number; retryBaseSeconds: number; retryMaxSeconds: number };
  worker: { concurrency: number; pollIntervalMs: number; eventRetentionDays: number; heartbeatFile?: string };
  orders: {
    maxQuantity: number;
    currency: string;
    paymentProvider: 'simulated';
    paymentTimeoutSeconds: number;
    maxUnpaid: number;
    expiryIntervalSeconds: number;
  };
  reviews: { commentMaxLength: number; verifiedStatuses: ('paid' | 'processing' | 'shipped' | 'delivered')[]; requirePurchase: boolean };
  /** The per-account failed-login throttle (per email, across IPs and processes). */
  loginLockout: { maxFailures: number; windowSeconds: number; durationSeconds: number; auditRetentionDays: number };
}

/** Thrown when the environment does not describe a runnable API; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const WEAK_SECRET_WORDS = ['change', 'secret', 'insecure', 'example', 'default', 'password', 'django'];

function jwtSecretProblem(secret: string): string | undefined {
  if (secret.length < 32) return 'JWT_SECRET: must be at least 32 characters in production (try `openssl rand -base64 48`)';
  if (new Set(secret).size < 12) return 'JWT_SECRET: too little variety for a signing key (try `openssl rand -base64 48`)';
  const lower = secret.toLowerCase();
  const word = WEAK_SECRET_WORDS.find((candidate) => lower.includes(candidate));
  if (word) return `JWT_SECRET: looks like a placeholder (contains "${word}"); generate one with \`openssl rand -base64 48\``;
  return undefined;
}

/** `BODY_LIMIT` in bytes, with the binary units body-parser uses (`1mb` = 1,048,576). */
function sizeInBytes(value: string): number {
  const [, digits, unit] = /^(\d+)(b|kb|mb)$/i.exec(value) as RegExpExecArray;
  return Number(digits) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(unit as string).toLowerCase() as 'b' | 'kb' | 'mb'];
}

function parseTrustProxy(value: string): boolean | number | string[] {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) === 0 ? false : Number(trimmed);
  return trimmed.split(',').map((item) => item.trim()).filter(Boolean);
}

function parseSettings(env: NodeJS.ProcessEnv, problems: string[]): RawSettings {
  const raw: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(settings) as [string, SettingSpec][]) {
    const given = env[name];
    const value = given === undefined || given === '' ? spec.default : given;
    if (value === undefined) continue;
    const result = spec.schema.safeParse(value);
    if (result.success) raw[name] = result.data;
    else problems.push(`${name}: ${result.error.issues.map((issue) => issue.message).join('; ')} (got ${spec.secret ? 'a redacted value' : JSON.stringify(given)})`);
  }
  return raw as RawSettings;
}

/**
 * How password-reset links are made and mailed, from the same settings and rules as the API, without the
 * API's other requirements: for `nexus users reset-password`, which sends the link from the CLI.
 * @throws {ConfigError} naming each bad variable
 */
export function resetLinkConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'passwordReset' | 'mail'> {
  const problems: string[] = [];
  const names = ['NODE_ENV', 'FRONTEND_URL', 'PASSWORD_RESET_URL', 'PASSWORD_RESET_TTL', 'MAIL_TRANSPORT', 'SMTP_URL', 'MAIL_FROM'];
  const raw = parseSettings(Object.fromEntries(names.map((name) => [name, env[name]])), problems);
  const mailTransport = raw.MAIL_TRANSPORT ?? (raw.SMTP_URL ? 'smtp' : raw.NODE_ENV === 'production' ? 'disabled' : 'log');
  if (mailTransport === 'smtp' && !raw.SMTP_URL) problems.push('SMTP_URL: required when MAIL_TRANSPORT=smtp');
  if (problems.length > 0) throw new ConfigError(problems);
  return { passwordReset: passwordResetSettings(raw), mail: { transport: mailTransport, smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM } };
}

/**
 * The media settings alone (MEDIA_*), by the API's rules, for `nexus media migrate`: `storage` overrides
 * MEDIA_STORAGE (migrating to S3 needs the bucket settings before the API is switched over).
 * @throws {ConfigError} naming each bad or missing variable
 */
export function mediaConfig(env: NodeJS.ProcessEnv = process.env, storage?: 'local' | 's3'): Config['media'] {
  const problems: string[] = [];
  const names = Object.keys(settings).filter((name) => name === 'NODE_ENV' || name.startsWith('MEDIA_'));
  const raw = parseSettings({ ...Object.fromEntries(names.map((name) => [name, env[name]])), ...(storage ? { MEDIA_STORAGE: storage } : {}) }, problems);
  const media = mediaSettings(raw, raw.NODE_ENV === 'production', problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return media;
}

/** The address inside MAIL_FROM (`Shop <shop@example.com>` → `shop@example.com`). */
function mailAddress(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();
}

/** MEDIA_PUBLIC_URL as a base a key is appended to (always ending in `/`). */
function mediaPublicUrl(raw: RawSettings): string | undefined {
  return raw.MEDIA_PUBLIC_URL ? `${raw.MEDIA_PUBLIC_URL.replace(/\/+$/, '')}/` : undefined;
}

function shopSettings(raw: RawSettings): Config['shop'] {
  const publicUrl = (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '');
  const orderUrlTemplate = raw.ORDER_URL ?? `${raw.FRONTEND_URL.replace(/\/+$/, '')}/orders/{id}/`;
  return { publicUrl, mediaBase: mediaPublicUrl(raw) ?? `${publicUrl}/media/`, name: raw.SHOP_NAME, supportEmail: raw.SUPPORT_EMAIL ?? mailAddress(raw.MAIL_FROM), orderUrlTemplate };
}

/** Where images are stored, and the problems of an S3 setup that cannot work. */
function mediaSettings(raw: RawSettings, isProduction: boolean, problems: string[]): Config['media'] {
  const media: Config['media'] = { root: resolve(raw.MEDIA_ROOT), maxBytes: raw.MEDIA_MAX_BYTES, storage: raw.MEDIA_STORAGE, publicUrl: mediaPublicUrl(raw) };
  if (raw.MEDIA_STORAGE !== 's3') return media;
  const bad = (name: string) => problems.some((problem) => problem.startsWith(`${name}:`));
  if (!raw.MEDIA_S3_BUCKET && !bad('MEDIA_S3_BUCKET')) problems.push('MEDIA_S3_BUCKET: required when MEDIA_STORAGE=s3 (the bucket must exist)');
  const keyId = raw.MEDIA_S3_ACCESS_KEY_ID;
  const secret = raw.MEDIA_S3_SECRET_ACCESS_KEY;
  if (isProduction && !keyId && !bad('MEDIA_S3_ACCESS_KEY_ID')) problems.push('MEDIA_S3_ACCESS_KEY_ID: required in production when MEDIA_STORAGE=s3 (a secret: .nexus/secrets or the environment)');
  if ((isProduction || keyId) && !secret && !bad('MEDIA_S3_SECRET_ACCESS_KEY')) {
    problems.push(`MEDIA_S3_SECRET_ACCESS_KEY: required ${keyId ? 'with MEDIA_S3_ACCESS_KEY_ID' : 'in production when MEDIA_STORAGE=s3'} (a secret: .nexus/secrets or the environment)`);
  }
  if (!keyId && secret && !bad('MEDIA_S3_ACCESS_KEY_ID')) problems.push('MEDIA_S3_ACCESS_KEY_ID: required with MEDIA_S3_SECRET_ACCESS_KEY');
  media.s3 = {
    bucket: raw.MEDIA_S3_BUCKET ?? '',
    prefix: raw.MEDIA_S3_PREFIX,
    region: raw.MEDIA_S3_REGION,
    endpoint: raw.MEDIA_S3_ENDPOINT,
    forcePathStyle: raw.MEDIA_S3_FORCE_PATH_STYLE,
    credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
  };
  return media;
}

function passwordResetSettings(raw: RawSettings): Config['passwordReset'] {
  return { urlTemplate: raw.PASSWORD_RESET_URL ?? `${raw.FRONTEND_URL.replace(/\/+$/, '')}/reset-password/{uid}/{token}/`, ttlSeconds: raw.PASSWORD_RESET_TTL };
}

/**
 * Builds the API configuration from environment variables, validating everything once at start-up.
 * @throws {ConfigError} naming each bad or missing variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const raw = parseSettings(env, problems);
  const nodeEnv: Environment = raw.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';

  if (!raw.DATABASE_URL && !problems.some((p) => p.startsWith('DATABASE_URL'))) {
    problems.push('DATABASE_URL: required (e.g. postgres://user:pass@host:5432/nexus)');
  }
  if (isProduction) {
    if (!raw.REDIS_URL && !problems.some((p) => p.startsWith('REDIS_URL'))) {
      problems.push('REDIS_URL: required in production (rate limits and token revocation must be shared between processes)');
    }
    if (!raw.JWT_SECRET) problems.push('JWT_SECRET: required in production (generate one with `openssl rand -base64 48`)');
    else {
      const weakness = jwtSecretProblem(raw.JWT_SECRET);
      if (weakness) problems.push(weakness);
    }
    if (!raw.MAIL_TRANSPORT && !raw.SMTP_URL) {
      problems.push('MAIL_TRANSPORT: production must choose: set SMTP_URL (smtp) or MAIL_TRANSPORT=disabled to run without mail');
    }
    if (!raw.PAYMENT_PROVIDER) {
      problems.push('PAYMENT_PROVIDER: production must name its payment provider (the only one built in is `simulated`, which charges nothing)');
    }
    if (raw.MAIL_TRANSPORT === 'log') problems.push('MAIL_TRANSPORT: `log` would write password-reset links to the logs; not allowed in production');
  }
  const mailTransport = raw.MAIL_TRANSPORT ?? (raw.SMTP_URL ? 'smtp' : isProduction ? 'disabled' : 'log');
  if (mailTransport === 'smtp' && !raw.SMTP_URL) problems.push('SMTP_URL: required when MAIL_TRANSPORT=smtp');
  if (raw.CORS_ORIGINS?.includes('*') && raw.CORS_ALLOW_CREDENTIALS) {
    problems.push('CORS_ORIGINS: "*" cannot be combined with CORS_ALLOW_CREDENTIALS=true; list the origins');
  }
  const media = mediaSettings(raw, isProduction, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const jwtSecret = raw.JWT_SECRET ?? randomBytes(48).toString('base64');

  return {
    env: nodeEnv,
    isProduction,
    version: readPackageVersion(),
    server: {
      host: raw.HOST,
      port: raw.PORT,
      bodyLimit: raw.BODY_LIMIT,
      bodyLimitBytes: sizeInBytes(raw.BODY_LIMIT),
      shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT * 1000,
      trustProxy: parseTrustProxy(raw.TRUST_PROXY),
      allowedHosts: raw.ALLOWED_HOSTS.map((host) => host.toLowerCase()),
    },
    database: { url: raw.DATABASE_URL as string, poolMax: raw.DATABASE_POOL_MAX, statementTimeoutMs: raw.DATABASE_STATEMENT_TIMEOUT },
    redis: { url: raw.REDIS_URL, cacheUrl: raw.CACHE_REDIS_URL ?? raw.REDIS_URL, keyPrefix: raw.REDIS_KEY_PREFIX },
    jwt: {
      secret: jwtSecret,
      secretGenerated: !raw.JWT_SECRET,
      accessTtlSeconds: raw.JWT_ACCESS_TTL,
      refreshTtlSeconds: raw.JWT_REFRESH_TTL,
    },
    cors: { origins: raw.CORS_ORIGINS, credentials: raw.CORS_ALLOW_CREDENTIALS },
    log: { level: raw.LOG_LEVEL, format: raw.LOG_FORMAT },
    metrics: { enabled: raw.METRICS_PORT !== undefined || raw.METRICS_TOKEN !== undefined, port: raw.METRICS_PORT, host: raw.METRICS_HOST, token: raw.METRICS_TOKEN },
    rateLimit: {
      enabled: raw.RATE_LIMIT_ENABLED,
      login: raw.RATE_LIMIT_LOGIN,
      register: raw.RATE_LIMIT_REGISTER,
      passwordReset: raw.RATE_LIMIT_PASSWORD_RESET,
      passwordResetConfirm: raw.RATE_LIMIT_PASSWORD_RESET_CONFIRM,
      tokenRefresh: raw.RATE_LIMIT_TOKEN_REFRESH,
      reads: raw.RATE_LIMIT_READS,
      writes: raw.RATE_LIMIT_WRITES,
    },
    passwordReset: passwordResetSettings(raw),
    mail: { transport: mailTransport, smtpUrl: raw.SMTP_URL, from: raw.MAIL_FROM },
    media,
    catalog: { cacheTtlSeconds: raw.CATALOG_CACHE_TTL },
    console: { enabled: raw.CONSOLE_ENABLED, idleSeconds: raw.CONSOLE_IDLE_TIMEOUT, lifetimeSeconds: raw.CONSOLE_SESSION_LIFETIME },
    catalogEvents: { lowStockThreshold: raw.LOW_STOCK_THRESHOLD },
    shop: shopSettings(raw),
    webhooks: {
      allowHosts: raw.WEBHOOK_ALLOW_HOSTS.map((host) => host.toLowerCase()),
      secretKey: raw.WEBHOOK_SECRET_KEY ?? `jwt:${jwtSecret}`,
      timeoutMs: raw.WEBHOOK_TIMEOUT * 1000,
      disableAfter: raw.WEBHOOK_DISABLE_AFTER,
      requireHttps: isProduction,
    },
    delivery: { retryWindowSeconds: raw.DELIVERY_RETRY_WINDOW, retryBaseSeconds: raw.DELIVERY_RETRY_BASE_DELAY, retryMaxSeconds: raw.DELIVERY_RETRY_MAX_DELAY },
    worker: { concurrency: raw.WORKER_CONCURRENCY, pollIntervalMs: raw.WORKER_POLL_INTERVAL, eventRetentionDays: raw.EVENT_RETENTION_DAYS, heartbeatFile: raw.WORKER_HEARTBEAT_FILE },
    orders: {
      maxQuantity: raw.CART_MAX_QUANTITY,
      currency: raw.CURRENCY,
      paymentProvider: raw.PAYMENT_PROVIDER ?? 'simulated',
      paymentTimeoutSeconds: raw.ORDER_PAYMENT_TIMEOUT,
      maxUnpaid: raw.ORDER_MAX_UNPAID,
      expiryIntervalSeconds: raw.ORDER_EXPIRY_INTERVAL,
    },
    reviews: { commentMaxLength: raw.REVIEW_COMMENT_MAX_LENGTH, verifiedStatuses: raw.REVIEW_VERIFIED_STATUSES, requirePurchase: raw.REVIEW_REQUIRE_PURCHASE },
    loginLockout: {
      maxFailures: raw.LOGIN_LOCKOUT_THRESHOLD.max,
      windowSeconds: raw.LOGIN_LOCKOUT_THRESHOLD.windowSeconds,
      durationSeconds: raw.LOGIN_LOCKOUT_DURATION,
      auditRetentionDays: raw.LOGIN_AUDIT_RETENTION_DAYS,
    },
  };
}
