import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildImage, imageBuildLabel } from '../../../cli/remote/docker';
import { httpReachable, tcpReachable } from '../../../cli/remote/preflight';
import type { RemoteCommand } from '../../../cli/remote/shell';

/** Runs a built command here with real sh, asynchronously (the servers it reaches run in this process). */
function run(command: RemoteCommand): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0] as string, command.slice(1));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('remote command builders: deploy preflight (run for real with sh)', () => {
  it('When a registry answers anything, even 401, then it is reachable; a refused port fails at once with curl’s reason', async () => {
    const server = createServer((_request, response) => response.writeHead(401).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await run(httpReachable(`http://127.0.0.1:${port}/-/ping`))).toEqual({ code: 0, output: 'HTTP 401' });
      const started = Date.now();
      const refused = await run(httpReachable('http://127.0.0.1:1/-/ping'));
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(/curl: \(7\)/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.close();
    }
  });

  it('When a TCP port listens, then the host check passes; a closed one fails naming why', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect((await run(tcpReachable('127.0.0.1', (server.address() as AddressInfo).port))).code).toBe(0);
      const closed = await run(tcpReachable('127.0.0.1', 1));
      expect(closed.code).toBe(1);
      expect(closed.output).toContain('Connection refused');
    } finally {
      server.close();
    }
  });

  it('When an image is built, then it carries the build label a later deploy compares, read back with its own format', () => {
    expect(buildImage('/srv/shop/builds/shop_abc.tar', 'shop:abc', {}, undefined, { 'nexus.build': 'f00d' }).slice(-2)).toEqual(['--label', 'nexus.build=f00d']);
    expect(imageBuildLabel('shop:abc')).toEqual(['docker', 'image', 'inspect', '--format', '{{ index .Config.Labels "nexus.build" }}', 'shop:abc']);
  });
});
