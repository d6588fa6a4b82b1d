import http from 'node:http';
import https from 'node:https';
import type { UrlGuard } from './url-safety';

/** What a receiver's answer may cost us: read up to this much, keep an excerpt for the delivery log. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const EXCERPT_CHARS = 1024;

export type PostOutcome =
  | { kind: 'answered'; statusCode: number; excerpt: string; latencyMs: number; location?: string }
  /** No answer: refused by the SSRF rules at connect time, connection error, timeout. */
  | { kind: 'no_answer'; error: string; latencyMs: number };

export interface PostOptions {
  headers: Record<string, string>;
  /** Total time for connecting, sending and reading the answer. */
  timeoutMs: number;
  guard: UrlGuard;
}

/**
 * POSTs one webhook body. Redirects are not followed (a 3xx is an answer like any other), the connection
 * goes only to addresses the guard allows (checked at connect time, also for an IP literal), and the answer
 * is read up to MAX_RESPONSE_BYTES within the same total timeout.
 */
export async function postWebhook(url: URL, body: string, options: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    // Node connects to an IP literal without any lookup: judge it here.
    await options.guard.safeAddresses(url.hostname);
  } catch (error) {
    return { kind: 'no_answer', error: (error as Error).message, latencyMs: latency() };
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      headers: { ...options.headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: options.guard.lookup,
      // A fresh connection each time: a pooled socket would skip the connect-time check.
      agent: false,
    });
    const timer = setTimeout(() => finish({ kind: 'no_answer', error: `Timed out after ${options.timeoutMs} ms`, latencyMs: latency() }), options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'no_answer', error: describeError(error), latencyMs: latency() }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answered = () => {
        const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS);
        const location = typeof response.headers.location === 'string' ? response.headers.location : undefined;
        finish({ kind: 'answered', statusCode: response.statusCode ?? 0, excerpt, latencyMs: latency(), location });
      };
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        chunks.push(chunk);
        // Enough read: the rest of a huge answer is not waited for.
        if (size >= MAX_RESPONSE_BYTES) answered();
      });
      response.on('end', answered);
      response.on('error', answered);
    });
    request.end(body);
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error.name === 'UnsafeUrlError') return error.message;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
