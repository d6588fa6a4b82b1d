import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, stopProcess, waitFor } from './components';

export const nginxAvailable = Boolean(findBinary('nginx'));
const SHIPPED = join(__dirname, '..', '..', 'nginx');

/**
 * An nginx prefix under /tmp laid out like a host after `nexus server provision`: the shipped snippets in
 * <prefix>/snippets, the http-level file included from a minimal main config, the site in site.conf.
 * Every path nginx writes is under the prefix (tooling-notes §7), so it runs without touching /etc or /var.
 */
export class NginxPrefix {
  readonly dir = mkdtempSync(join(tmpdir(), 'nexus-nginx-'));
  readonly webroot = join(this.dir, 'webroot');
  private child?: ChildProcess;

  constructor() {
    // Workers run as nobody when the master is root: every directory they read must be traversable.
    chmodSync(this.dir, 0o755);
    mkdirSync(join(this.dir, 'snippets'));
    mkdirSync(join(this.webroot, '.well-known', 'acme-challenge'), { recursive: true });
    for (const file of readdirSync(SHIPPED)) copyFileSync(join(SHIPPED, file), join(this.dir, 'snippets', file));
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(this.dir, `${kind}_temp`)};`);
    writeFileSync(
      join(this.dir, 'nginx.conf'),
      [
        `pid ${join(this.dir, 'nginx.pid')};`,
        'worker_processes 1;',
        'events { worker_connections 256; }',
        'http {',
        `  access_log ${join(this.dir, 'access.log')};`,
        ...temp,
        `  include ${join(this.dir, 'snippets', 'nexus-http.conf')};`,
        `  include ${join(this.dir, 'site.conf')};`,
        '}',
      ].join('\n'),
    );
  }

  /** The `nginx` settings of a nexus.yml target whose deploys and certificates drive this prefix. */
  targetSettings(httpPort: number, httpsPort?: number): Record<string, unknown> {
    return { site_file: join(this.dir, 'site.conf'), command: [findBinary('nginx') as string, ...this.args()], dir: this.dir, http_port: httpPort, ...(httpsPort ? { https_port: httpsPort } : {}), ipv6: false };
  }

  private args(): string[] {
    return ['-p', `${this.dir}/`, '-c', join(this.dir, 'nginx.conf'), '-e', join(this.dir, 'error.log')];
  }

  /** `nginx -t` on the prefix: returns its output, throws with it when the config is refused. */
  test(site: string): string {
    writeFileSync(join(this.dir, 'site.conf'), site);
    return execFileSync(findBinary('nginx') as string, ['-t', ...this.args()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async start(site: string, port: number): Promise<void> {
    this.test(site);
    this.child = spawn(findBinary('nginx') as string, [...this.args(), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitFor('nginx', async () => (await fetch(`http://127.0.0.1:${port}/.well-known/acme-challenge/none`).catch(() => undefined)) !== undefined);
  }

  /** Tests and loads a new site into the running nginx (as a deploy's switch does). */
  reload(site: string): void {
    this.test(site);
    execFileSync(findBinary('nginx') as string, ['-s', 'reload', ...this.args()], { stdio: 'ignore' });
  }

  async stop(): Promise<void> {
    // SIGQUIT: nginx's graceful stop.
    if (this.child) await stopProcess(this.child, 'SIGQUIT');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate for `names` (the first is the subject), written into `dir`, valid for `days` (2 unless said). */
export function selfSignedCertificate(dir: string, names: string[], days = 2): { fullchain: string; key: string } {
  const fullchain = join(dir, 'fullchain.pem');
  const key = join(dir, 'privkey.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', String(days),
    '-subj', `/CN=${names[0] as string}`, '-addext', `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
    '-keyout', key, '-out', fullchain,
  ], { stdio: 'ignore' });
  chmodSync(key, 0o644);
  return { fullchain, key };
}
