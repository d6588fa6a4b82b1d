import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { appEnvironment, publicUrl, renderEnvFile, servicesEnvironment } from '../../../cli/deploy-config/app-env';
import { loadDeployTarget } from '../../../cli/deploy-config/load';
import { isAllowedHost } from '../../../api/http/allowed-hosts';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

function target(database: 'host' | 'external', env: NodeJS.ProcessEnv, domains = ['shop.example.com', 'www.shop.example.com']) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-appenv-'));
  writeFileSync(
    join(dir, 'nexus.yml'),
    stringify({
      app: { name: 'shop', env: { LOG_LEVEL: 'info', CURRENCY: 'EUR' } },
      targets: { production: { hosts: [{ address: '203.0.113.10', host_key: PIN }], domains, database, redis: database, env: { LOG_LEVEL: 'warn' } } },
    }),
  );
  return loadDeployTarget(dir, 'production', env);
}

describe("the app's environment on a host", () => {
  it('When services run on the host, then the URLs point at them and the password is URL-encoded, never passed on as a setting', () => {
    const env = appEnvironment(target('host', { JWT_SECRET: 'j', POSTGRES_PASSWORD: 'p@ss/word' }));
    expect(Object.fromEntries(env)).toEqual({
      NODE_ENV: 'production',
      TRUST_PROXY: '1',
      ALLOWED_HOSTS: 'shop.example.com,www.shop.example.com',
      PUBLIC_URL: 'http://shop.example.com',
      LOG_LEVEL: 'warn',
      CURRENCY: 'EUR',
      DATABASE_URL: 'postgres://nexus:p%40ss%2Fword@postgres:5432/nexus', // secretlint-disable-line -- made-up credentials, for this test
      REDIS_URL: 'redis://redis:6379/0',
      CACHE_REDIS_URL: 'redis://redis-cache:6379/0',
      JWT_SECRET: 'j',
    });
    expect(Object.fromEntries(servicesEnvironment(target('host', { JWT_SECRET: 'j', POSTGRES_PASSWORD: 'p@ss/word' })))).toEqual({ POSTGRES_USER: 'nexus', POSTGRES_DB: 'nexus', POSTGRES_PASSWORD: 'p@ss/word' });
  });

  it('When a domain is a wildcard, then ALLOWED_HOSTS names it the way the API matches subdomains (.example.com), so that its hosts are allowed', () => {
    const env = appEnvironment(target('host', { JWT_SECRET: 'j', POSTGRES_PASSWORD: 'p' }, ['shop.example.com', '*.example.com']));
    expect(env.get('ALLOWED_HOSTS')).toBe('shop.example.com,.example.com');
    const allowed = (env.get('ALLOWED_HOSTS') ?? '').split(',');
    expect(['shop.example.com', 'tenant.example.com', 'example.com'].map((host) => isAllowedHost(host, allowed))).toEqual([true, true, true]);
    expect(['example.org', 'evil-example.com'].map((host) => isAllowedHost(host, allowed))).toEqual([false, false]);
  });

  it('When the site serves HTTPS, then PUBLIC_URL is its first domain over https, with nginx\'s port when not the default; env: can still set it', () => {
    const deploy = target('host', { JWT_SECRET: 'j', POSTGRES_PASSWORD: 'p' });
    expect(appEnvironment(deploy, { tls: true }).get('PUBLIC_URL')).toBe('https://shop.example.com');
    expect(publicUrl({ ...deploy.target, nginx: { ...deploy.target.nginx, https_port: 8443, http_port: 8080 } }, true)).toBe('https://shop.example.com:8443');
    expect(publicUrl({ ...deploy.target, nginx: { ...deploy.target.nginx, https_port: 8443, http_port: 8080 } }, false)).toBe('http://shop.example.com:8080');
    const explicit = { ...deploy, target: { ...deploy.target, env: { PUBLIC_URL: 'https://api.example.com' } } };
    expect(appEnvironment(explicit, { tls: false }).get('PUBLIC_URL')).toBe('https://api.example.com');
  });

  it('When a load balancer is in front (nginx or external), then the API trusts two hops (it and the host nginx); without one, one', () => {
    const deploy = target('external', { JWT_SECRET: 'j', DATABASE_URL: 'postgres://u:p@db/shop', REDIS_URL: 'redis://cache:6379/0' });
    expect(appEnvironment(deploy).get('TRUST_PROXY')).toBe('1');
    const nginx = { type: 'nginx' as const, host: { address: '203.0.113.20', host_key: PIN }, max_fails: 2, fail_timeout: 10 };
    expect(appEnvironment({ ...deploy, target: { ...deploy.target, load_balancer: nginx } }).get('TRUST_PROXY')).toBe('2');
    expect(appEnvironment({ ...deploy, target: { ...deploy.target, load_balancer: { type: 'external', trusted: ['10.0.0.0/16'] } } }).get('TRUST_PROXY')).toBe('2');
  });

  it('When services are external, then their URLs are the secrets', () => {
    const env = appEnvironment(target('external', { JWT_SECRET: 'j', DATABASE_URL: 'postgres://u:p@db/shop', REDIS_URL: 'rediss://cache:6380/0' }));
    expect([env.get('DATABASE_URL'), env.get('REDIS_URL')]).toEqual(['postgres://u:p@db/shop', 'rediss://cache:6380/0']);
  });

  it('When the env file is written, then Compose v1 gets values literally and v2 single-quoted (no $ expansion)', () => {
    const env = new Map([['JWT_SECRET', 'a$b"c'], ['LOG_LEVEL', 'info']]);
    expect(renderEnvFile(env, 'v1')).toBe('JWT_SECRET=a$b"c\nLOG_LEVEL=info\n');
    expect(renderEnvFile(env, 'v2')).toBe("JWT_SECRET='a$b\"c'\nLOG_LEVEL='info'\n");
  });

  it('When a value cannot be held by an env file, then the deploy stops naming the key, not the value', () => {
    expect(() => renderEnvFile(new Map([['JWT_SECRET', 'line1\nline2']]), 'v1')).toThrow('The value of JWT_SECRET spans several lines');
    expect(() => renderEnvFile(new Map([['JWT_SECRET', "it's"]]), 'v2')).toThrow('The value of JWT_SECRET contains a single quote');
  });
});
