import { z } from 'zod';
import { monitoringSchema } from './monitoring';

/** An SSH host key pin as `ssh-keygen -lf` prints it: SHA256:<43 base64 characters>. */
export const fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'expected a SHA256 fingerprint as `ssh-keygen -lf` prints it, e.g. SHA256:7RCj…');
export const hostname = z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'expected a host name or an IP address');
export const domain = z
  .string()
  .regex(/^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a lower-case domain name such as shop.example.com');
export const nginxSize = z.string().regex(/^\d+[km]?$/, 'expected an nginx size such as 6m');
export const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'expected a Unix user name');
export const appName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected lower-case letters, digits and dashes, starting with a letter');
export const targetName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected a lower-case target name');
const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected an environment variable name in capitals, e.g. JWT_SECRET');

export const hostSchema = z.object({
  address: hostname,
  /** The host's SSH key fingerprint: connections to anything else are refused. */
  host_key: fingerprint,
});

const serviceMode = z.enum(['host', 'external']);
export const absolutePath = z.string().regex(/^\/[A-Za-z0-9._/-]+$/, 'expected an absolute path');

/** How nginx is driven on the host. The defaults match a host set up by `nexus server provision`. */
const nginxSchema = z
  .object({
    /** The site file nexus writes; provisioning includes it from /etc/nginx/sites-enabled. Default: <root>/nginx/site.conf. */
    site_file: absolutePath.optional(),
    /** nginx as the deploy user may run it; `-t` and `-s reload` are appended. */
    command: z.array(z.string().min(1)).min(1).default(['sudo', '-n', '/usr/sbin/nginx']),
    /** Where the nexus snippets are installed. */
    dir: absolutePath.default('/etc/nginx'),
    http_port: z.number().int().min(1).max(65535).default(80),
    https_port: z.number().int().min(1).max(65535).default(443),
    ipv6: z.boolean().default(true),
    /** client_max_body_size: the API's largest body (image uploads). */
    body_limit: nginxSize.default('6m'),
  })
  .strict()
  .prefault({});

/** A DNS server to ask, as `address` or `address:port` (IPv4, or [IPv6]:port). */
export const resolver = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/, 'expected a resolver address such as 1.1.1.1 or 127.0.0.1:5353');

/** The resolvers `nexus dns verify` asks when dns.resolvers is not set: public ones, right for a site on the internet. */
export const DEFAULT_RESOLVERS = ['1.1.1.1', '8.8.8.8', '9.9.9.9'];

/** The ACME account's contact address (tls.email). */
export const contactEmail = z.email('expected an email address such as ops@example.com');

/** How dns-01 TXT records are published. */
const dnsProviderSchema = z.discriminatedUnion('type', [
  /**
   * A command run here with NEXUS_DNS_ACTION=present|cleanup, NEXUS_DNS_NAME and NEXUS_DNS_VALUE in its environment,
   * besides PATH, HOME and the locale, and the variables `env` names (from the environment or .nexus/secrets).
   */
  z
    .object({
      type: z.literal('exec'),
      command: z.array(z.string().min(1)).min(1),
      env: z.array(envName).default([]),
      propagation_seconds: z.number().int().min(0).max(3600).default(0),
    })
    .strict(),
  /**
   * RFC 2136 dynamic updates signed with TSIG, through nsupdate: BIND, Knot, PowerDNS and many DNS hosts
   * accept them. The TSIG secret is the RFC2136_TSIG_SECRET secret.
   */
  z
    .object({
      type: z.literal('rfc2136'),
      server: resolver,
      key_name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a TSIG key name'),
      algorithm: z.enum(['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1']).default('hmac-sha256'),
      zone: z.string().regex(/^[A-Za-z0-9.-]+$/).optional(),
      propagation_seconds: z.number().int().min(0).max(3600).default(0),
    })
    .strict(),
  /** pebble-challtestsrv's management API (test and staging setups). */
  z.object({ type: z.literal('challtestsrv'), url: z.url(), propagation_seconds: z.number().int().min(0).max(3600).default(0) }).strict(),
]);

/** Certificates over ACME (`nexus ssl`). */
const tlsSchema = z
  .object({
    /** ACME account contact. */
    email: contactEmail.optional(),
    /** letsencrypt, zerossl, buypass, google, or a directory URL. */
    ca: z.union([z.enum(['letsencrypt', 'zerossl', 'buypass', 'google']), z.url()]).default('letsencrypt'),
    /** What CAA records must allow (the CA's issuer domain). */
    caa_identity: z.string().min(3).default('letsencrypt.org'),
    challenge: z.enum(['http-01', 'dns-01']).default('http-01'),
    key_type: z.enum(['ecdsa', 'rsa']).default('ecdsa'),
    dns_provider: dnsProviderSchema.optional(),
    /** External account binding key id; its HMAC key is the ACME_EAB_HMAC_KEY secret. */
    eab_kid: z.string().min(1).optional(),
    /** Renew when less than this fraction of the lifetime is left. */
    renew_fraction: z.number().min(0.05).max(0.9).default(1 / 3),
  })
  .strict()
  .prefault({});

/** A copy of every backup away from the host: S3-compatible object storage, or a directory (a mount). */
const offsiteSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('s3'),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name'),
      /** Key prefix, e.g. shop/production/. */
      prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'expected path segments ending in /').default(''),
      region: z.string().min(1).default('us-east-1'),
      /** For S3-compatible services (MinIO, Backblaze B2, Wasabi, Cloudflare R2…): their endpoint URL. */
      endpoint: z.url().optional(),
      /** Bucket in the path rather than the host name (MinIO and most self-hosted services). */
      force_path_style: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('filesystem'), path: z.string().min(1) }).strict(),
]);

export type OffsiteConfig = z.infer<typeof offsiteSchema>;

/** Database backups (`nexus db backup`): how many the retention keeps, and where copies go. */
const backupsSchema = z
  .object({
    /** Copy each backup there too (credentials: the S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY secrets). */
    offsite: offsiteSchema.optional(),
    /** The newest backup of each of the last N days that have one. */
    keep_daily: z.number().int().min(1).max(366).default(7),
    /** The newest backup of each of the last N weeks. */
    keep_weekly: z.number().int().min(0).max(520).default(4),
  })
  .strict()
  .prefault({});

/** A Docker image reference such as postgres:16-bookworm or registry.example.com/pg@sha256:…. */
const imageReference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'expected an image reference such as postgres:16-bookworm');

/** The images of the on-host services (`database: host`, `redis: host`); unset, docker-compose.services.yml's defaults. */
const servicesSchema = z
  .object({
    postgres_image: imageReference.optional(),
    redis_image: imageReference.optional(),
  })
  .strict()
  .prefault({});

/** Where and how the image is built. */
const buildSchema = z
  .object({
    /** `host`: the source is uploaded and built there; `local`: built here, then uploaded with `docker save`. */
    on: z.enum(['host', 'local']).default('host'),
    /** The build context (holding the Dockerfile), relative to nexus.yml. Only committed files are sent. */
    context: z.string().min(1).default('.'),
    /** Build arguments, e.g. BUILD_IMAGE/RUNTIME_IMAGE for a registry mirror, NPM_REGISTRY for an npm mirror. */
    args: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a build argument name'), z.string()).default({}),
    /** `docker build --network`, e.g. host where the default build network has no way out. */
    network: z.string().regex(/^[a-z0-9_.-]+$/).optional(),
  })
  .strict()
  .prefault({});

/** An IPv4/IPv6 address or CIDR range, as nginx's set_real_ip_from takes it. */
const addressRange = z.string().regex(/^([0-9.]{7,15}|[0-9a-fA-F:]{2,39})(\/\d{1,3})?$/, 'expected an IP address or a CIDR range such as 10.0.0.0/16');

/**
 * What spreads traffic over the app hosts. `nginx`: a host nexus provisions and configures (an upstream over
 * the app hosts, TLS terminated there, rolling deploys take each host out of rotation). `external`: a cloud load
 * balancer the operator runs, pointed at each host's health endpoint; `trusted` are its source addresses.
 */
const loadBalancerSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('nginx'),
      host: hostSchema,
      /** Consecutive failed requests before nginx takes an app host out for `fail_timeout` seconds (passive health checks). */
      max_fails: z.number().int().min(1).max(100).default(2),
      fail_timeout: z.number().int().min(1).max(600).default(10),
    })
    .strict(),
  z.object({ type: z.literal('external'), trusted: z.array(addressRange).min(1, 'list the load balancer\'s source addresses or ranges') }).strict(),
]);

export type LoadBalancerConfig = z.infer<typeof loadBalancerSchema>;

export const targetSchema = z
  .object({
    hosts: z.array(hostSchema).min(1, 'list at least one host'),
    /** Several app hosts behind one address (docs/scaling.md); unset, each host serves its own nginx (DNS round robin). */
    load_balancer: loadBalancerSchema.optional(),
    ssh: z
      .object({
        user: unixUser.default('deploy'),
        port: z.number().int().min(1).max(65535).default(22),
        /** Private key file; `~` is the operator's home. */
        key: z.string().min(1).default('~/.ssh/id_ed25519'),
        /** The deploy user's authorized_keys on the hosts (sshd's AuthorizedKeysFile); `~` is that user's home. */
        authorized_keys: z.string().regex(/^(~\/|\/)[A-Za-z0-9._/-]+$/, 'expected an absolute path or one under ~/').default('~/.ssh/authorized_keys'),
        connect_timeout: z.number().int().min(1).max(300).default(15),
        /** Set by nexus in a scheduled job's own copy: its key is bound to the job's gate, which takes commands in its own form. */
        gated: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The first is canonical (a concrete name); `*.example.com` after it serves every subdomain under its own name. */
    domains: z
      .array(domain)
      .min(1, 'list the domain names the site answers to')
      .superRefine((names, context) => {
        if (names[0]?.startsWith('*.')) {
          context.addIssue({
            code: 'custom',
            path: [0],
            message: `the first domain is the canonical name (HTTP and the other names redirect to it), so it cannot be a wildcard: list a name such as ${names[0].slice(2)} first, then ${names[0]}`,
          });
        }
      }),
    /** PostgreSQL and Redis as compose services on the host, or external services reached through secrets. */
    database: serviceMode.default('host'),
    redis: serviceMode.default('host'),
    services: servicesSchema,
    /** Where releases, shared data and certificates live on the host. */
    root: absolutePath.default('/srv/nexus'),
    env: z.record(envName, z.string()).default({}),
    keep_releases: z.number().int().min(1).max(50).default(5),
    health: z
      .object({ path: z.string().startsWith('/').default('/health/readiness/'), timeout: z.number().int().min(1).max(600).default(60) })
      .strict()
      .prefault({}),
    lock_ttl: z.number().int().min(60).max(24 * 3600).default(1800),
    /** Seconds the old release keeps running after nginx has switched, for requests still in flight. */
    drain_seconds: z.number().int().min(0).max(600).default(10),
    /**
     * The delivery worker (webhooks, order mail) beside the API: how many copies per host (0: none on this
     * target's hosts, e.g. when workers run elsewhere), and on which hosts: `all`, or the `first` one only.
     * Each copy runs WORKER_CONCURRENCY deliveries at once; copies on several hosts share the work safely.
     */
    worker: z.object({ replicas: z.number().int().min(0).max(20).default(1), hosts: z.enum(['all', 'first']).default('all') }).strict().prefault({}),
    nginx: nginxSchema,
    build: buildSchema,
    tls: tlsSchema,
    backups: backupsSchema,
    /** Resolvers `nexus dns verify` asks besides the system's. */
    dns: z.object({ resolvers: z.array(resolver).default(DEFAULT_RESOLVERS), system: z.boolean().default(true) }).strict().prefault({}),
    /** Host metrics: the Prometheus node exporter that `nexus server provision` installs (off by default). */
    monitoring: monitoringSchema,
    /** The Docker daemon on the host that the deploy user talks to (DOCKER_HOST for the commands run there over SSH; a local build uses this machine's own), when not the default socket. */
    docker_host: z.string().regex(/^(unix|tcp|ssh):\/\/\S+$/, 'expected a Docker host URL such as unix:///run/docker.sock').optional(),
  })
  .strict();

export const nexusFileSchema = z
  .object({
    app: z
      .object({
        name: appName.default('nexus'),
        port: z.number().int().min(1024).max(65535).default(8000),
        /** Names of secrets the API needs, read from the environment or .nexus/secrets (never from this file). */
        secrets: z.array(envName).default(['JWT_SECRET']),
        env: z.record(envName, z.string()).default({}),
      })
      .strict()
      .prefault({}),
    targets: z.record(targetName, targetSchema).refine((targets) => Object.keys(targets).length > 0, 'define at least one target'),
  })
  .strict();

export type NexusFile = z.output<typeof nexusFileSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type HostConfig = z.output<typeof hostSchema>;
