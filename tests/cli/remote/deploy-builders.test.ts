import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildImage, compose, ensureSharedResources, imageExists, NO_SUCH_SERVICE, stopProject, waitForHealthyProject, withDockerHost } from '../../../cli/remote/docker';
import { FILE_MISSING_STATUS, readFile, writeFile } from '../../../cli/remote/files';
import { colourPort, HostLayout, otherColour, projectName } from '../../../cli/remote/layout';
import { NGINX_REFUSED_STATUS, switchNginxSite } from '../../../cli/remote/nginx-switch';
import { waitForReadiness } from '../../../cli/remote/readiness';
import type { RemoteCommand } from '../../../cli/remote/shell';

/** Runs a built command here, with real sh, as the remote shell would. */
function run(command: RemoteCommand, stdin = ''): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command[0] as string, command.slice(1), { input: stdin, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('remote command builders: deploys', () => {
  it('When compose is built, then the project, file and env file are parameters and either Compose flavour is used', () => {
    const command = compose('/srv/shop/releases/r1', 'shop-blue', 'docker-compose.prod.yml', 'compose.env', ['up', '-d', '--no-deps', 'app']);
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.slice(3)).toEqual(['nexus-compose', '/srv/shop/releases/r1', 'shop-blue', 'docker-compose.prod.yml', 'compose.env', 'up', '-d', '--no-deps', 'app']);
    expect(command[2]).toContain('docker compose version');
    expect(command[2]).toContain('command -v docker-compose');
  });

  it('When the image is built on the host, then build arguments and the network are flags and the archive is removed afterwards', () => {
    const command = buildImage('/srv/shop/builds/shop_abc.tar', 'shop:abc', { BUILD_IMAGE: 'mirror/node:20', RUNTIME_IMAGE: 'mirror/node:20' }, 'host');
    expect(command.slice(3)).toEqual(['nexus-build', '/srv/shop/builds/shop_abc.tar', 'shop:abc', '--build-arg', 'BUILD_IMAGE=mirror/node:20', '--build-arg', 'RUNTIME_IMAGE=mirror/node:20', '--network', 'host']);
    expect(command[2]).toContain('docker build -t "$tag" "$@" - < "$archive"');
    expect(command[2]).toContain('rm -f "$archive"');
  });

  it('When a daemon other than the default is configured, then every docker command carries DOCKER_HOST', () => {
    expect(withDockerHost(imageExists('shop:abc'), 'unix:///run/user/docker.sock')).toEqual(['env', 'DOCKER_HOST=unix:///run/user/docker.sock', 'docker', 'image', 'inspect', '--format', '{{.Id}}', 'shop:abc']);
    expect(withDockerHost(imageExists('shop:abc'), undefined)).toEqual(['docker', 'image', 'inspect', '--format', '{{.Id}}', 'shop:abc']);
    expect(stopProject('shop-green', 30).slice(3)).toEqual(['nexus-stop-project', 'shop-green', '30']);
    expect(ensureSharedResources('shop-backend', 'shop-media').slice(3)).toEqual(['nexus-shared-resources', 'shop-backend', 'shop-media']);
  });

  /**
   * A stand-in `docker` on PATH for the scripts' control flow: containers of one project (app, worker) whose
   * state and stop timeouts the test sets; every call is logged. The real engine runs them in tests/deploy.
   */
  function fakeDocker(containers: { id: string; service: string; health: string; stopTimeout?: number }[]): { env: NodeJS.ProcessEnv; calls: () => string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-fake-docker-'));
    const table = containers.map((container) => `${container.id} ${container.service} ${container.health} ${container.stopTimeout ?? ''}`).join('\n');
    writeFileSync(join(dir, 'containers'), `${table}\n`);
    writeFileSync(
      join(dir, 'docker'),
      `#!/bin/sh
echo "$*" >> "${dir}/calls"
case "$1" in
  ps) service=$(printf '%s\\n' "$@" | sed -n 's/^label=com.docker.compose.service=//p'); while read -r id svc health timeout; do [ -z "$service" ] || [ "$service" = "$svc" ] && echo "$id"; done < "${dir}/containers" ;;
  inspect) id=$(eval echo \\$$#); while read -r cid svc health timeout; do [ "$cid" = "$id" ] || continue; case "$3" in *StopTimeout*) echo "$timeout" ;; *"range .Log"*) echo "health check (exit 1): last heartbeat 41 s ago" ;; *) echo "/shop-green-$svc-1 $health" ;; esac; done < "${dir}/containers" ;;
  logs) echo "a log line" ;;
esac
`,
    );
    chmodSync(join(dir, 'docker'), 0o755);
    return { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` }, calls: () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') };
  }
  const runWith = (command: RemoteCommand, env: NodeJS.ProcessEnv) => {
    const result = spawnSync(command[0] as string, command.slice(1), { env, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it("When a colour is stopped, then each container gets its own stop_grace_period (the worker's is longer), else the default, and all are removed", () => {
    const docker = fakeDocker([{ id: 'a1', service: 'app', health: 'healthy', stopTimeout: 30 }, { id: 'w1', service: 'worker', health: 'healthy', stopTimeout: 75 }, { id: 'o1', service: 'app', health: 'running' }]);
    expect(runWith(stopProject('shop-green', 20), docker.env).code).toBe(0);
    const calls = docker.calls();
    expect(calls.filter((call) => call.startsWith('stop ')).sort()).toEqual(['stop -t 20 o1', 'stop -t 30 a1', 'stop -t 75 w1']);
    expect(calls.at(-1)).toBe('rm a1 w1 o1');
  });

  it('When the worker is awaited, then only its containers count; a release without one passes at once; one that stays unhealthy fails with its health checks and logs', () => {
    expect(waitForHealthyProject('shop-green', 60, 'worker').slice(3)).toEqual(['nexus-wait-healthy', 'shop-green', '60', 'worker']);
    expect(waitForHealthyProject('shop-services', 120).slice(3)).toEqual(['nexus-wait-healthy', 'shop-services', '120', '']);
    // The app is still starting: the worker's wait does not look at it.
    const healthy = fakeDocker([{ id: 'a1', service: 'app', health: 'starting' }, { id: 'w1', service: 'worker', health: 'healthy' }]);
    expect(runWith(waitForHealthyProject('shop-green', 5, 'worker'), healthy.env)).toMatchObject({ code: 0, stdout: '' });
    const absent = fakeDocker([{ id: 'a1', service: 'app', health: 'healthy' }]);
    expect(runWith(waitForHealthyProject('shop-green', 5, 'worker'), absent.env)).toMatchObject({ code: 0, stdout: `${NO_SUCH_SERVICE}\n` });
    const failing = fakeDocker([{ id: 'a1', service: 'app', health: 'healthy' }, { id: 'w1', service: 'worker', health: 'unhealthy' }]);
    const result = runWith(waitForHealthyProject('shop-green', 0, 'worker'), failing.env);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual(['/shop-green-worker-1 unhealthy', '/shop-green-worker-1: health check (exit 1): last heartbeat 41 s ago', '/shop-green-worker-1: a log line', '']);
  });

  it('When colours alternate, then each has its own port and compose project', () => {
    expect([otherColour(undefined), otherColour('blue'), otherColour('green')]).toEqual(['blue', 'green', 'blue']);
    expect([colourPort(8000, 'blue'), colourPort(8000, 'green')]).toEqual([8000, 8001]);
    expect([projectName('shop', 'blue'), projectName('shop', 'services')]).toEqual(['shop-blue', 'shop-services']);
    const layout = new HostLayout('/srv/shop');
    expect([layout.site, layout.serving, layout.release('r1'), layout.certificates('shop.example.com').fullchain]).toEqual([
      '/srv/shop/nginx/site.conf',
      '/srv/shop/serving.json',
      '/srv/shop/releases/r1',
      '/srv/shop/certs/shop.example.com/fullchain.pem',
    ]);
    expect(new HostLayout('/srv/shop', '/etc/nginx/sites-enabled/shop.conf').site).toBe('/etc/nginx/sites-enabled/shop.conf');
  });

  it('When a secret file is written, then it is created with its final mode and replaced whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-write-'));
    const file = join(dir, 'releases', 'r1', '.env');
    expect(run(writeFile(file, '600'), 'JWT_SECRET=s3cret\n').code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('JWT_SECRET=s3cret\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(run(readFile(file)).stdout).toBe('JWT_SECRET=s3cret\n');
    expect(run(readFile(join(dir, 'missing'))).code).toBe(FILE_MISSING_STATUS);
  });

  it('When readiness is awaited, then it succeeds once the app answers 2xx and fails with the last answer after the timeout', async () => {
    let ready = false;
    const server = createServer((_req, res) => res.writeHead(ready ? 200 : 503).end(ready ? '{"status":"ready"}' : '{"status":"not_ready"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/readiness/`;
    try {
      // The server runs in this process: the script must run asynchronously beside it.
      const runAsync = (command: RemoteCommand) =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          const child = spawn(command[0] as string, command.slice(1));
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.on('close', (code) => resolve({ code, stdout }));
        });
      expect(await runAsync(waitForReadiness(url, 1))).toEqual({ code: 1, stdout: 'HTTP 503: {"status":"not_ready"}\n' });
      setTimeout(() => (ready = true), 1_500);
      expect(await runAsync(waitForReadiness(url, 10))).toEqual({ code: 0, stdout: '{"status":"ready"}\n' });
      expect((await runAsync(waitForReadiness('http://127.0.0.1:1/health/readiness/', 0))).stdout).toMatch(/^HTTP 000: curl: \(7\)/);
    } finally {
      server.close();
    }
  });

  it('When nginx refuses the new site, then the previous site is put back and the reload never happens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-switch-'));
    const site = join(dir, 'site.conf');
    const calls = join(dir, 'calls');
    // A stand-in for the nginx binary that records its arguments and fails -t on a marked config.
    const nginx = join(dir, 'nginx');
    writeFileSync(nginx, `#!/bin/sh\necho "$*" >> ${calls}\nif [ "$1" = -t ] && grep -q broken ${site}; then echo 'nginx: [emerg] unknown directive "broken"' >&2; exit 1; fi\n`);
    chmodSync(nginx, 0o755);
    writeFileSync(site, 'server { listen 80; }\n');

    const refused = run(switchNginxSite(site, [nginx]), 'broken;\n');
    expect(refused.code).toBe(NGINX_REFUSED_STATUS);
    expect(refused.stderr).toContain('unknown directive "broken"');
    expect(readFileSync(site, 'utf8')).toBe('server { listen 80; }\n');
    expect(readFileSync(calls, 'utf8')).toBe('-t\n');

    const accepted = run(switchNginxSite(site, [nginx]), 'server { listen 81; }\n');
    expect(accepted.code).toBe(0);
    expect(readFileSync(site, 'utf8')).toBe('server { listen 81; }\n');
    expect(readFileSync(`${site}.previous`, 'utf8')).toBe('server { listen 80; }\n');
    expect(readFileSync(calls, 'utf8')).toBe('-t\n-t\n-s reload\n');
  });

});
