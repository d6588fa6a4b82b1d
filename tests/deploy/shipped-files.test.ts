import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

async function lint(command: string, args: string[], cwd = ROOT): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(bin(command), args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('files shipped for deploys', () => {
  it('When the Dockerfile is linted, then dockerfilelint finds nothing', async () => {
    const result = await lint('dockerfilelint', ['Dockerfile']);
    expect(result.output).toContain('None found');
    expect(result.code).toBe(0);
  });

  it('When a broken Dockerfile is linted, then the linter does fail (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-dockerfile-'));
    try {
      copyFileSync(join(ROOT, '.dockerfilelintrc'), join(dir, '.dockerfilelintrc'));
      writeFileSync(join(dir, 'Dockerfile'), 'FROM node\nRUN apt-get update\nEXPOSE 99999\n');
      expect((await lint('dockerfilelint', ['Dockerfile'], dir)).code).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('When the compose files are linted against the compose spec, then dclint finds nothing', async () => {
    const result = await lint('dclint', ['docker-compose.prod.yml', 'docker-compose.services.yml']);
    expect(result.output.trim()).toBe('');
    expect(result.code).toBe(0);
  });

  it('When the app service is read, then it publishes only on loopback, carries no secret and takes its settings from .env', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.prod.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(compose.services)).toEqual(['app', 'worker']);
    const app = compose.services.app as { ports: string[]; env_file: string[]; environment: Record<string, string> };
    expect(app.ports).toEqual(['127.0.0.1:${NEXUS_APP_PORT:?set by nexus deploy}:8000']);
    expect(app.env_file).toEqual(['.env']);
    expect(Object.keys(app.environment).sort()).toEqual(['HOST', 'MEDIA_ROOT', 'PORT']);
    const services = parse(readFileSync(join(ROOT, 'docker-compose.services.yml'), 'utf8')) as { services: Record<string, { ports?: unknown; healthcheck?: unknown }> };
    for (const [name, service] of Object.entries(services.services)) {
      expect([name, service.ports]).toEqual([name, undefined]);
      expect(service.healthcheck).toBeDefined();
    }
  });

  it('When the worker service is read, then it runs the same image and settings as the app, publishes nothing, is checked by its heartbeat file and has time to finish deliveries', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.prod.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
    const { app, worker } = compose.services;
    expect(worker).toMatchObject({ image: app?.image, env_file: app?.env_file, networks: app?.networks, restart: app?.restart, logging: app?.logging, command: ['node', 'dist/api/worker.js'] });
    expect(worker?.ports).toBeUndefined();
    expect(worker?.environment).toEqual({ WORKER_HEARTBEAT_FILE: '/tmp/nexus-worker.alive' });
    expect(worker?.tmpfs).toEqual(['/tmp']);
    const healthcheck = worker?.healthcheck as { test: string[] };
    expect(healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(healthcheck.test[3]).toContain('process.env.WORKER_HEARTBEAT_FILE');
    // Longer than the longest webhook attempt (WEBHOOK_TIMEOUT ≤ 60 s).
    expect(Number.parseInt(String(worker?.stop_grace_period), 10)).toBeGreaterThan(60);
  });

  it('When the on-host Redis servers are read, then both are bounded; only the read cache evicts, the deny-list and rate-limit store never does', () => {
    const services = parse(readFileSync(join(ROOT, 'docker-compose.services.yml'), 'utf8')) as { services: Record<string, { command: string[] }> };
    const setting = (service: string, name: string) => {
      const command = services.services[service]?.command ?? [];
      return command[command.indexOf(`--${name}`) + 1];
    };
    expect([setting('redis', 'maxmemory'), setting('redis', 'maxmemory-policy')]).toEqual(['256mb', 'noeviction']);
    expect([setting('redis-cache', 'maxmemory'), setting('redis-cache', 'maxmemory-policy')]).toEqual(['256mb', 'allkeys-lru']);
  });

  it('When the build context is filtered, then history, secrets, data and deploy config stay out', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '.env', '.env.*', '.nexus', 'backups', '*.dump', 'nexus.yml', 'node_modules']) expect(ignored).toContain(entry);
  });
});
