import { z } from 'zod';

/**
 * Every setting the API reads, one entry per environment variable: its parser, its default and the
 * sentence that documents it. docs/configuration.md is generated from this table
 * (`npm run docs:config`), so the reference cannot drift from the code.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const seconds = z.coerce.number().int().positive();

/** "<max>/<window seconds>", e.g. "5/300": at most 5 requests per client IP in 300 seconds. */
const rateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, 'expected "<max requests>/<window seconds>", e.g. "5/300"')
  .transform((value) => {
    const [max, windowSeconds] = value.split('/').map(Number) as [number, number];
    return { max, windowSeconds };
  })
  .refine((limit) => limit.max > 0 && limit.windowSeconds > 0, 'both numbers must be positive');

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

export interface SettingSpec {
  schema: z.ZodType;
  default?: string;
  description: string;
  secret?: boolean;
}

export const settings = {
  NODE_ENV: {
    schema: z.enum(['development', 'test', 'production']),
    default: 'development',
    description: 'Runtime environment. `production` requires Redis, a strong JWT secret and an explicit mail transport.',
  },
  HOST: { schema: z.string().min(1), default: '0.0.0.0', description: 'Interface the HTTP server binds to.' },
  PORT: { schema: z.coerce.number().int().min(0).max(65535), default: '8000', description: 'HTTP port.' },
  DATABASE_URL: {
    schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
    description: 'PostgreSQL connection URL. Required in every environment (`nexus dev` supplies one).',
    secret: true,
  },
  DATABASE_POOL_MAX: {
    schema: z.coerce.number().int().min(1).max(200),
    default: '10',
    description: 'Largest number of PostgreSQL connections one API process opens.',
  },
  DATABASE_STATEMENT_TIMEOUT: {
    schema: z.coerce.number().int().min(0).max(3_600_000),
    default: '5000',
    description:
      'Longest one SQL statement of the API may run, in milliseconds (PostgreSQL `statement_timeout`, waiting for locks included). A request whose statement runs longer is cancelled and answers 503 `query_timeout` with `Retry-After`. `0` turns the limit off. Only the API\'s own connections have it: the CLI\'s migrations, seeding and backups never do.',
  },
  REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    description:
      'Redis URL for rate-limit counters, the token deny-list and caches. Required in production; without it (development and test only) an in-process store stands in.',
    secret: true,
  },
  CACHE_REDIS_URL: {
    schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    description:
      'Redis for the catalogue read cache alone, configured to evict (`maxmemory` with `allkeys-lru`), so a flood of distinct requests can fill only the cache, never push out rate-limit counters or the token deny-list. Default: REDIS_URL (then that Redis must not evict: see docs/deploy.md). The on-host services of `nexus deploy` run one (`redis-cache`).',
    secret: true,
  },
  REDIS_KEY_PREFIX: {
    schema: z.string().max(64),
    default: 'nexus:',
    description: 'Prefix of every Redis key the API writes, so several deployments can share one Redis.',
  },
  JWT_SECRET: {
    schema: z.string().min(1),
    description:
      'HMAC key for JWTs (HS256). Production requires at least 32 characters with real variety. Outside production a random per-process key is generated when unset.',
    secret: true,
  },
  JWT_ACCESS_TTL: { schema: seconds, default: '900', description: 'Access token lifetime in seconds.' },
  JWT_REFRESH_TTL: { schema: seconds, default: '604800', description: 'Refresh token lifetime in seconds.' },
  TRUST_PROXY: {
    schema: z.string(),
    default: '0',
    description:
      'Reverse proxies in front of the API whose X-Forwarded-* headers are trusted: a number of hops (`1` behind one nginx), or a comma list of addresses/CIDRs/`loopback`. `0` trusts none. The client IP used for rate limits comes from this.',
  },
  ALLOWED_HOSTS: {
    schema: commaList,
    default: '',
    description:
      'Comma-separated host names the API answers for (`shop.example.com`, or `.example.com` for a domain and its subdomains). Others get 400, so a forged Host header cannot leak into absolute links. Empty: any host. Health endpoints answer every host (probes use IPs).',
  },
  CORS_ORIGINS: {
    schema: commaList,
    default: '',
    description: 'Comma-separated origins allowed to call the API from a browser (exact match, e.g. `https://shop.example.com`). Empty: no cross-origin access.',
  },
  CORS_ALLOW_CREDENTIALS: {
    schema: bool,
    default: 'false',
    description: 'Send `Access-Control-Allow-Credentials: true` to allowed origins.',
  },
  BODY_LIMIT: {
    schema: z.string().regex(/^\d+(b|kb|mb)$/i, 'expected a size such as 100kb or 1mb'),
    default: '1mb',
    description:
      'Largest accepted JSON or form body; larger requests get 413. Multipart is read only by the image-upload endpoints, where everything but the file is held to this limit too (at most 20 fields, none larger than it, the whole body at most this plus `MEDIA_MAX_BYTES`); other endpoints refuse multipart (415).',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level. Logs are JSON lines on stdout (see LOG_FORMAT).',
  },
  LOG_FORMAT: {
    schema: z.enum(['json', 'pretty']),
    description:
      'How log lines are written: `json` (one JSON object per line, for log shippers) or `pretty` (one readable, coloured line each, for a terminal). Default: `pretty` when stdout is a terminal outside production, `json` otherwise.',
  },
  METRICS_PORT: {
    schema: z.coerce.number().int().min(0).max(65535),
    description:
      'Serve Prometheus metrics at `/metrics` on a listener of their own, on this port of METRICS_HOST. Unset: no such listener. See docs/observability.md.',
  },
  METRICS_HOST: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    description: 'Interface of the METRICS_PORT listener: loopback by default, or a private address a Prometheus server reaches. Never a public one.',
  },
  METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters (generate one with `openssl rand -hex 24`)'),
    description:
      'Serve Prometheus metrics at `/metrics` on the API\'s own port to requests that carry this bearer token (`Authorization: Bearer <token>`); the METRICS_PORT listener then asks for it too. Unset: `/metrics` on the API\'s port is a 404. The public nginx site never passes `/metrics` on.',
    secret: true,
  },
  RATE_LIMIT_ENABLED: { schema: bool, default: 'true', description: 'Turn the per-IP rate limits on or off.' },
  RATE_LIMIT_LOGIN: { schema: rateLimit, default: '10/300', description: 'Login attempts per client IP: `<max>/<window seconds>`.' },
  RATE_LIMIT_REGISTER: { schema: rateLimit, default: '5/3600', description: 'Registrations per client IP.' },
  RATE_LIMIT_PASSWORD_RESET: {
    schema: rateLimit,
    default: '5/3600',
    description: 'Password-reset requests per client IP.',
  },
  RATE_LIMIT_PASSWORD_RESET_CONFIRM: {
    schema: rateLimit,
    default: '10/3600',
    description: 'Password-reset confirmations per client IP (a separate bucket from the requests).',
  },
  RATE_LIMIT_TOKEN_REFRESH: { schema: rateLimit, default: '60/60', description: 'Token refreshes per client IP.' },
  RATE_LIMIT_READS: {
    schema: rateLimit,
    default: '1200/60',
    description: 'API reads (GET, HEAD) per client IP, cached catalogue answers included. Health, docs and the OpenAPI document are not counted.',
  },
  RATE_LIMIT_WRITES: { schema: rateLimit, default: '300/60', description: 'API writes (POST, PUT, PATCH, DELETE) per client IP, on top of the auth routes\' own limits.' },
  LOGIN_LOCKOUT_THRESHOLD: {
    schema: rateLimit,
    default: '10/900',
    description:
      'Failed logins for one email address, from any client IP and any API process, that lock it: `<failures>/<window seconds>`. The window starts at the first failure; a successful login clears it. Unknown emails are counted and locked exactly like real accounts. Independent of RATE_LIMIT_ENABLED.',
  },
  LOGIN_LOCKOUT_DURATION: {
    schema: seconds,
    default: '900',
    description: 'Seconds a locked email stays locked: every login for it gets 429 with Retry-After, the right password included. A completed password reset unlocks it at once.',
  },
  LOGIN_AUDIT_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1).max(3650),
    default: '90',
    description: 'Days a failed login or lock-out stays in the `login_audit` table (older rows are deleted as new ones are written).',
  },
  FRONTEND_URL: {
    schema: z.url(),
    default: 'http://localhost:3000',
    description: 'Base URL of the shop front end; password-reset links point there.',
  },
  PASSWORD_RESET_URL: {
    schema: z
      .string()
      .includes('{uid}', { message: 'must contain {uid}' })
      .includes('{token}', { message: 'must contain {token}' }),
    description:
      'Template of the link mailed for a password reset; `{uid}` and `{token}` are replaced. Default: `<FRONTEND_URL>/reset-password/{uid}/{token}/` (the old backend\'s path).',
  },
  PASSWORD_RESET_TTL: { schema: seconds, default: '3600', description: 'Lifetime of a password-reset token in seconds.' },
  MAIL_TRANSPORT: {
    schema: z.enum(['smtp', 'log', 'disabled']),
    description:
      'How mail leaves the API: `smtp` (needs SMTP_URL), `log` (development: the message, link included, is logged) or `disabled`. Default: `smtp` when SMTP_URL is set, else `log` outside production; production must choose.',
  },
  SMTP_URL: {
    schema: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
    description: 'SMTP server, e.g. `smtps://user:pass@mail.example.com:465`.',
    secret: true,
  },
  MAIL_FROM: { schema: z.string().min(3), default: 'nexus <no-reply@localhost>', description: 'Sender of outgoing mail.' },
  PUBLIC_URL: {
    schema: z.url().refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL'),
    description:
      'Public origin of the API (`https://shop.example.com`): image URLs in events and mail are made from it, where no request names the host. Default: `http://localhost:<PORT>`. `nexus deploy` sets it from the target\'s domain.',
  },
  ORDER_URL: {
    schema: z.string().includes('{id}', { message: 'must contain {id}' }).refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL'),
    description: 'Link to an order on the shop front end, put in order mail; `{id}` is replaced by the order id. Default: `<FRONTEND_URL>/orders/{id}/`.',
  },
  SHOP_NAME: { schema: z.string().min(1).max(100), default: 'nexus shop', description: 'The shop\'s name in order mail (subject lines, greeting, signature).' },
  SUPPORT_EMAIL: {
    schema: z.email(),
    description: 'Address customers are told to write to in order mail (and its Reply-To). Default: the address of MAIL_FROM.',
  },
  WEBHOOK_ALLOW_HOSTS: {
    schema: commaList,
    default: '',
    description:
      'Comma-separated host names webhooks may reach although they resolve to loopback or private addresses, or use http in production: for development and tests only. Cloud metadata addresses (169.254.169.254 and the like) are refused even for these.',
  },
  WEBHOOK_SECRET_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters (try `openssl rand -base64 48`)'),
    description:
      'Key that encrypts webhook signing secrets at rest, so a database dump alone does not reveal them. Default: derived from JWT_SECRET (then rotating JWT_SECRET makes stored secrets unreadable: rotate them with `nexus webhooks rotate-secret`). The API and the worker must share it.',
    secret: true,
  },
  WEBHOOK_TIMEOUT: {
    schema: z.coerce.number().int().min(1).max(60),
    default: '10',
    description: 'Seconds a webhook receiver has to answer (connection and body included) before the attempt counts as a timeout and is retried.',
  },
  WEBHOOK_DISABLE_AFTER: {
    schema: z.coerce.number().int().min(1).max(10_000),
    default: '25',
    description:
      'Consecutive failed attempts (after which the subscription has had no success at all) that disable a subscription; a `webhook.disabled` event says so. A successful attempt resets the count.',
  },
  DELIVERY_RETRY_WINDOW: {
    schema: z.coerce.number().int().min(1).max(7 * 24 * 3600),
    default: '86400',
    description: 'Seconds after its first attempt during which a failed webhook or mail delivery is retried (default 24 h); past it the delivery is marked failed.',
  },
  DELIVERY_RETRY_BASE_DELAY: {
    schema: z.coerce.number().min(0.1).max(3600),
    default: '30',
    description: 'Seconds before the first retry; each further retry waits twice as long (with ±20% jitter) up to DELIVERY_RETRY_MAX_DELAY.',
  },
  DELIVERY_RETRY_MAX_DELAY: {
    schema: z.coerce.number().min(0.1).max(24 * 3600),
    default: '3600',
    description: 'Longest wait between two retries of one delivery, in seconds.',
  },
  WORKER_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(200),
    default: '10',
    description: 'Deliveries (webhooks and mail) one worker process runs at once.',
  },
  WORKER_POLL_INTERVAL: {
    schema: z.coerce.number().int().min(50).max(60_000),
    default: '500',
    description: 'Milliseconds between two looks of the worker\'s relay for committed events not yet queued.',
  },
  WORKER_HEARTBEAT_FILE: {
    schema: z.string().min(1),
    description:
      'File the worker touches every 5 s while its relay works (unset: none). A container health check reads its age: the deploy\'s worker service sets it and is healthy while the file is younger than 30 s.',
  },
  EVENT_RETENTION_DAYS: {
    schema: z.coerce.number().int().min(1).max(3650),
    default: '30',
    description: 'Days an event (with its delivery log) is kept after it was relayed; the worker deletes older ones.',
  },
  MEDIA_ROOT: {
    schema: z.string().min(1),
    default: 'media',
    description: 'Directory where uploaded product images are stored (relative paths are resolved from the working directory); served at `/media/`.',
  },
  MEDIA_MAX_BYTES: {
    schema: z.coerce.number().int().positive(),
    default: '5242880',
    description: 'Largest accepted image upload in bytes (default 5 MiB); larger uploads get 413.',
  },
  MEDIA_STORAGE: {
    schema: z.enum(['local', 's3']),
    default: 'local',
    description:
      'Where uploaded images are stored: `local` (files under MEDIA_ROOT, one host only) or `s3` (objects in MEDIA_S3_BUCKET under MEDIA_S3_PREFIX, shared by every host; needs the MEDIA_S3_* settings). See docs/media.md; `nexus media migrate --to s3` copies local files over.',
  },
  MEDIA_PUBLIC_URL: {
    schema: z.url().refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL'),
    description:
      'Base URL image links are made on (a CDN, or the bucket\'s own URL with the prefix): a stored key `products/<uuid>.png` is linked as `<MEDIA_PUBLIC_URL>/products/<uuid>.png`, in API responses, events and mail. Unset: images are served by the API at `/media/` (from MEDIA_ROOT, or streamed from the bucket).',
  },
  MEDIA_S3_BUCKET: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)'),
    description: 'With MEDIA_STORAGE=s3: the bucket the images are stored in (required). It must exist; nexus does not create it.',
  },
  MEDIA_S3_PREFIX: {
    schema: z
      .string()
      .transform((value) => value.replace(/^\/+|\/+$/g, ''))
      .refine((value) => value === '' || /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(value), 'expected path segments such as `shop/media` (letters, digits, `.`, `_`, `-`)')
      .transform((value) => (value ? `${value}/` : '')),
    default: '',
    description: 'With MEDIA_STORAGE=s3: the key prefix the images go under (`shop/media` stores `shop/media/products/<uuid>.png`). Default: none (the bucket\'s root).',
  },
  MEDIA_S3_REGION: { schema: z.string().min(1), default: 'us-east-1', description: 'With MEDIA_STORAGE=s3: the bucket\'s region (S3-compatible services often accept any).' },
  MEDIA_S3_ENDPOINT: {
    schema: z.url().refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL'),
    description: 'With MEDIA_STORAGE=s3: the endpoint of an S3-compatible service (MinIO, Cloudflare R2, Backblaze B2, Wasabi…). Unset: AWS S3 in MEDIA_S3_REGION.',
  },
  MEDIA_S3_FORCE_PATH_STYLE: {
    schema: bool,
    default: 'false',
    description: 'With MEDIA_STORAGE=s3: address the bucket in the path (`<endpoint>/<bucket>/<key>`) rather than the host name; most self-hosted S3-compatible services (MinIO) need `true`.',
  },
  MEDIA_S3_ACCESS_KEY_ID: {
    schema: z.string().min(1),
    description: 'With MEDIA_STORAGE=s3: the access key ID (required in production). It needs to list, read, write and delete objects under MEDIA_S3_PREFIX. Outside production, unset means the AWS SDK\'s default credential chain.',
    secret: true,
  },
  MEDIA_S3_SECRET_ACCESS_KEY: {
    schema: z.string().min(1),
    description: 'With MEDIA_STORAGE=s3: the secret of MEDIA_S3_ACCESS_KEY_ID (required with it).',
    secret: true,
  },
  CATALOG_CACHE_TTL: {
    schema: z.coerce.number().int().min(0),
    default: '300',
    description:
      'Seconds a public catalogue or review response stays in the read cache (CACHE_REDIS_URL, REDIS_URL or the in-process store). Staff writes invalidate it at once, a customer\'s review or vote the pages of that product and author; ratings and stock in lists may lag by up to this long. `0` disables the cache.',
  },
  CONSOLE_ENABLED: { schema: bool, default: 'true', description: 'Serve the staff console at `/admin/` (sign-in for staff accounts only).' },
  CONSOLE_IDLE_TIMEOUT: {
    schema: z.coerce.number().int().min(60).max(7 * 24 * 3600),
    default: '1800',
    description: 'Seconds a console session survives without a request; the next one signs in again.',
  },
  CONSOLE_SESSION_LIFETIME: {
    schema: z.coerce.number().int().min(300).max(30 * 24 * 3600),
    default: '43200',
    description: 'Seconds a console session lasts at most from sign-in, however active (default 12 hours).',
  },
  LOW_STOCK_THRESHOLD: {
    schema: z.coerce.number().int().min(0).max(1_000_000),
    default: '5',
    description:
      'Stock at or below which an active product is low: listed on the console dashboard, and announced once by a `product.low_stock` event when a sale or a staff change takes its stock from above the threshold to it or below.',
  },
  CART_MAX_QUANTITY: {
    schema: z.coerce.number().int().min(1).max(1_000_000),
    default: '100',
    description: 'Largest quantity of one product in a cart or an order line.',
  },
  ORDER_PAYMENT_TIMEOUT: {
    schema: z.coerce.number().int().min(1).max(30 * 24 * 3600),
    default: '1800',
    description:
      'Seconds an order may wait for payment. Its stock is reserved until then; past it the order is cancelled (`cancel_reason` `payment_timeout`) and the stock goes back. Applies to orders placed after a change.',
  },
  ORDER_MAX_UNPAID: {
    schema: z.coerce.number().int().min(1).max(1_000_000),
    default: '3',
    description: 'Most orders one customer may have waiting for payment; the next checkout is refused with 409 `too_many_unpaid_orders`.',
  },
  ORDER_EXPIRY_INTERVAL: {
    schema: z.coerce.number().int().min(1).max(60),
    default: '10',
    description:
      'Seconds between two sweeps for orders past their payment deadline, in each API process (with up to 20% jitter). Every process sweeps; a row lock decides which one releases each order.',
  },
  CURRENCY: {
    schema: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD or EUR'),
    default: 'USD',
    description: 'Currency of prices, orders and payments (ISO 4217).',
  },
  PAYMENT_PROVIDER: {
    schema: z.enum(['simulated']),
    description:
      'Payment provider. `simulated` (default outside production) charges nothing and answers by test card number (see docs/api/orders.md); production must name it explicitly.',
  },
  REVIEW_COMMENT_MAX_LENGTH: {
    schema: z.coerce.number().int().min(1).max(10_000),
    default: '5000',
    description: 'Longest review comment, in characters (the database refuses more than 10,000 whatever this says).',
  },
  REVIEW_VERIFIED_STATUSES: {
    schema: commaList.pipe(z.array(z.enum(['paid', 'processing', 'shipped', 'delivered'])).min(1)),
    default: 'delivered',
    description: 'Order statuses that make a review a `verified_purchase` when the author has such an order for the product (comma-separated: paid, processing, shipped, delivered).',
  },
  REVIEW_REQUIRE_PURCHASE: {
    schema: bool,
    default: 'false',
    description: 'Only verified purchasers may review a product (403 `purchase_required` otherwise).',
  },
  SHUTDOWN_TIMEOUT: {
    schema: seconds,
    default: '10',
    description: 'Seconds a stopping server waits for in-flight requests before closing connections.',
  },
} satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settings;

export type RawSettings = {
  [K in SettingName]: (typeof settings)[K] extends { default: string }
    ? z.output<(typeof settings)[K]['schema']>
    : z.output<(typeof settings)[K]['schema']> | undefined;
};
