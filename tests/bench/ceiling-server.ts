/**
 * The ceiling: a bare node:http server answering each benchmarked path with the exact body and content-type the
 * API returned for it, from memory. It imports nothing from the project; the harness transpiles this file to
 * plain JavaScript and runs it with `node`, in its own process, like the API.
 *
 * Usage: node ceiling-server.js <responses.json>; prints `listening <port>` once it accepts connections.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredResponse {
  /** Request path with query, as the client sends it. */
  path: string;
  contentType: string;
  /** Base64 of the body bytes. */
  body: string;
}

function main(file: string): void {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredResponse[];
  const responses = new Map(
    stored.map((entry) => {
      const body = Buffer.from(entry.body, 'base64');
      return [entry.path, { body, headers: { 'content-type': entry.contentType, 'content-length': String(body.length) } }];
    }),
  );
  const server = createServer((req, res) => {
    const found = responses.get(req.url ?? '');
    if (!found) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, found.headers);
    res.end(found.body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: ceiling-server <responses.json>\n');
    process.exit(2);
  }
  main(file);
}
