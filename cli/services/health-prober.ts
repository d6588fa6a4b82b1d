import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Not checked (the site does not report it): counts as passed. */
  skipped?: boolean;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  names: string[];
  validFrom: string;
  validTo: string;
  daysLeft: number;
  trusted: boolean;
}

/** How a site was reached: the scheme and the address, each with the reason it was chosen. */
export interface Connection {
  scheme: 'http' | 'https';
  schemeReason: string;
  /** The address connected to, when not the system's answer for the URL's name. */
  address?: string;
  addressReason?: string;
}

export interface HealthReport {
  url: string;
  healthy: boolean;
  checkedAt: string;
  /** Present when nexus chose how to reach the site (a target, or --address). */
  connection?: Connection;
  checks: Check[];
  certificate?: CertificateInfo;
}

export interface ProbeOptions {
  /** Extra CA certificates to trust (PEM), e.g. a staging CA. */
  ca?: Buffer;
  timeoutMs: number;
  /** A certificate with fewer days left than this fails its check. */
  minDaysLeft: number;
  /** Port of the plain-HTTP site whose redirect is checked (80 unless the site runs elsewhere). */
  httpPort?: number;
  /**
   * Connect to this address instead of resolving the URL's name; the name still goes in the Host header and
   * TLS SNI, and the certificate is checked against it, so the host answers as it will once DNS points there.
   */
  address?: string;
  connection?: Connection;
}

/** A lookup that answers every name with one address (Node asks for all addresses when it races families). */
function pinnedLookup(address: string): LookupFunction {
  const family = isIPv6(address) ? 6 : 4;
  return (_name, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Headers every API response must carry (issue 9 checks the full set; these are the ones browsers act on). */
export const REQUIRED_HEADERS = ['strict-transport-security', 'x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy'];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function fetchOnce(url: URL, options: ProbeOptions): Promise<Answer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const lookup = options.address ? pinnedLookup(options.address) : undefined;
    const req = send(url, { method: 'GET', headers: { Accept: 'application/json' }, ca: options.ca, timeout: options.timeoutMs, agent: false, lookup }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.length + body.length > 65_536 ? '' : chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const first = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

function certificateOf(url: URL, options: ProbeOptions): Promise<CertificateInfo> {
  return new Promise((resolve, reject) => {
    const connectTo = { host: options.address ?? url.hostname, port: Number(url.port || 443), servername: url.hostname };
    const socket = tlsConnect({ ...connectTo, ca: options.ca, rejectUnauthorized: false, timeout: options.timeoutMs }, () => {
      const peer: PeerCertificate = socket.getPeerCertificate();
      const validTo = new Date(peer.valid_to);
      resolve({
        subject: first(peer.subject?.CN),
        issuer: first(peer.issuer?.CN) || first(peer.issuer?.O),
        names: (peer.subjectaltname ?? '').split(', ').filter((name) => name.startsWith('DNS:')).map((name) => name.slice(4)),
        validFrom: new Date(peer.valid_from).toISOString(),
        validTo: validTo.toISOString(),
        daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
        trusted: socket.authorized,
      });
      socket.end();
    });
    socket.on('timeout', () => socket.destroy(new Error(`no TLS handshake within ${options.timeoutMs} ms`)));
    socket.on('error', reject);
  });
}

async function attempt(name: string, run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

function statusOf(body: string): string {
  try {
    const status = (JSON.parse(body) as { status?: unknown }).status;
    return typeof status === 'string' ? status : '';
  } catch {
    return '';
  }
}

/** `checks.events` of the API's /health/: the delivery worker as the API sees it (api/modules/health). */
interface EventsCheck {
  status: 'healthy' | 'unhealthy';
  workers: number;
  unrelayed: number;
  outbox_lag_seconds: number;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The delivery worker, from the /health/ answer: the API counts the workers that wrote a heartbeat in the last
 * 30 s and how long the oldest committed event has waited to be queued (unhealthy from 120 s). An API that does
 * not report it (a release from before the worker) is skipped, not failed; an answer that is not the API's
 * JSON gives no worker check (the health check already fails).
 */
export function workerCheck(body: string): Check | undefined {
  let checks: unknown;
  try {
    checks = (JSON.parse(body) as { checks?: unknown }).checks;
  } catch {
    return undefined;
  }
  if (typeof checks !== 'object' || checks === null) return undefined;
  const events = (checks as { events?: EventsCheck }).events;
  if (events === undefined) return { name: 'worker', ok: true, skipped: true, detail: "not checked: this API's /health/ does not report the delivery worker (a release from before it)" };
  const waiting = `${plural(events.unrelayed, 'event')} waiting${events.unrelayed > 0 ? `, the oldest for ${events.outbox_lag_seconds} s` : ''}`;
  if (events.status === 'healthy') return { name: 'worker', ok: true, detail: `${plural(events.workers, 'worker')} alive, ${waiting}` };
  const problems = [
    ...(events.workers === 0 ? ['no delivery worker seen in the last 30 s: webhooks and order mail wait in the outbox until one runs'] : [`${plural(events.workers, 'worker')} alive but the outbox relay is behind`]),
    waiting,
  ];
  return { name: 'worker', ok: false, detail: `${problems.join('; ')} (\`nexus logs worker\` shows why)` };
}

/**
 * What an operator or a CI job wants to know about a running site: liveness and readiness, the delivery
 * worker (from the health answer), the TLS
 * certificate (trusted, covers the name, days left), that plain HTTP redirects to HTTPS, and the security
 * headers. Every check is independent: one failure never hides the others.
 */
export async function probe(base: string, options: ProbeOptions): Promise<HealthReport> {
  const url = new URL(base);
  const at = (path: string) => new URL(path, url);
  const checks: Check[] = [];
  let healthBody = '';
  checks.push(
    await attempt('health', async () => {
      const answer = await fetchOnce(at('/health/'), options);
      healthBody = answer.body;
      const status = statusOf(answer.body);
      return { name: 'health', ok: answer.status === 200 && status === 'healthy', detail: `${answer.status} ${status || answer.body.slice(0, 80)}` };
    }),
  );
  const worker = workerCheck(healthBody);
  if (worker) checks.push(worker);
  checks.push(
    await attempt('readiness', async () => {
      const answer = await fetchOnce(at('/health/readiness/'), options);
      const status = statusOf(answer.body);
      return { name: 'readiness', ok: answer.status === 200 && status === 'ready', detail: `${answer.status} ${status || answer.body.slice(0, 80)}` };
    }),
  );
  checks.push(
    await attempt('security headers', async () => {
      const answer = await fetchOnce(at('/health/liveness/'), options);
      const required = url.protocol === 'https:' ? REQUIRED_HEADERS : REQUIRED_HEADERS.filter((name) => name !== 'strict-transport-security');
      const missing = required.filter((name) => answer.headers[name] === undefined);
      const doubled = required.filter((name) => Array.isArray(answer.headers[name]) || String(answer.headers[name] ?? '').includes(', max-age'));
      const problems = [...missing.map((name) => `missing ${name}`), ...doubled.map((name) => `${name} sent twice`)];
      return { name: 'security headers', ok: problems.length === 0, detail: problems.join('; ') || `${required.length} present` };
    }),
  );
  let certificate: CertificateInfo | undefined;
  if (url.protocol === 'https:') {
    checks.push(
      await attempt('certificate', async () => {
        certificate = await certificateOf(url, options);
        const covers = certificate.names.some((name) => name === url.hostname || (name.startsWith('*.') && url.hostname.endsWith(name.slice(1)) && !url.hostname.slice(0, -name.length + 1).includes('.')));
        const problems = [
          ...(certificate.trusted ? [] : ['not trusted']),
          ...(covers ? [] : [`does not cover ${url.hostname}`]),
          ...(certificate.daysLeft < options.minDaysLeft ? [`${certificate.daysLeft} days left (< ${options.minDaysLeft})`] : []),
        ];
        return { name: 'certificate', ok: problems.length === 0, detail: problems.join('; ') || `${certificate.daysLeft} days left, issued by ${certificate.issuer}` };
      }),
    );
    checks.push(
      await attempt('http redirect', async () => {
        const plain = new URL(at('/health/'));
        plain.protocol = 'http:';
        plain.port = options.httpPort === undefined || options.httpPort === 80 ? '' : String(options.httpPort);
        const answer = await fetchOnce(plain, options);
        const location = String(answer.headers.location ?? '');
        const ok = [301, 308].includes(answer.status) && location.startsWith(`https://${url.hostname}`);
        return { name: 'http redirect', ok, detail: `${answer.status} ${location || '(no Location)'}` };
      }),
    );
  }
  return { url: url.toString(), healthy: checks.every((check) => check.ok), checkedAt: new Date().toISOString(), connection: options.connection, checks, certificate };
}
