import { request } from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  /** The first failures, as status or error messages. */
  failures: string[];
}

/** One GET with a chosen Host header (fetch cannot set Host), as a client of the site would send it. */
export function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One request with a chosen Host header and an optional JSON body, as a client of the site would send it. */
export function requestWithHost(method: string, url: string, host: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { Host: host, Accept: 'application/json', ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function once(url: URL, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    // A new connection per request, like many independent clients: no reuse of a socket nginx is closing.
    const req = request(url, { headers: { Host: host, Connection: 'close' }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `${res.statusCode} ${url.pathname}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(`${error.message} ${url.pathname}`));
    req.end();
  });
}

/**
 * Steady traffic on loopback: `concurrency` clients requesting the given paths in turn until stopped, each
 * waiting `pauseMs` between its requests (0: back to back). Every answer other than 200 counts as a failure.
 */
export function startLoad(base: string, host: string, paths: readonly string[], concurrency = 4, pauseMs = 0): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, failures: [] };
  let running = true;
  const client = async (offset: number) => {
    for (let index = offset; running; index += 1) {
      const failure = await once(new URL(paths[index % paths.length] as string, base), host);
      if (failure === undefined) result.ok += 1;
      else {
        result.failed += 1;
        if (result.failures.length < 20) result.failures.push(failure);
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const clients = Array.from({ length: concurrency }, (_, index) => client(index));
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return result;
    },
  };
}
