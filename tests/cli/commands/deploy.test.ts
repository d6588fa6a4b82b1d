import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNexus } from '../../support/cli';
import { describeWith } from '../../support/components';
import { sshdProject } from '../../support/deploy-project';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

interface ErrorJson {
  error: { code: string; message: string; exitCode: number };
}

describeWith('sshd', sshdAvailable, 'nexus deploy and rollback refusing bad input over a real sshd', () => {
  let sshd: RunningSshd;
  let project: string;
  let root: string;
  // The secrets are the ones `nexus init` generated into .nexus/secrets.
  const secrets = { NEXUS_OPERATOR: 'ci-job-7' };

  beforeAll(async () => {
    sshd = await startSshd();
    root = join(sshd.remoteRoot, 'srv');
    project = sshdProject(sshd, root);
    // No Docker daemon answers here, whatever the machine runs.
    writeFileSync(join(project, 'nexus.production.yml'), 'targets:\n  production:\n    docker_host: unix:///nonexistent/docker.sock\n');
  });
  afterAll(async () => {
    await sshd.stop();
    rmSync(project, { recursive: true, force: true });
  });

  const nexus = (args: string[], env: Record<string, string> = secrets) => runNexus([...args, '--dir', project, '--json'], { env });
  const untouched = () => expect(existsSync(join(root, 'releases'))).toBe(false);

  it('When a secret is missing, then deploy exits 3 naming it, before connecting', async () => {
    const file = join(project, '.nexus', 'secrets');
    const generated = readFileSync(file, 'utf8');
    writeFileSync(file, generated.replace(/^POSTGRES_PASSWORD=.*\n/m, ''));
    try {
      const result = await nexus(['deploy', '--target', 'production']);
      expect(result.code).toBe(3);
      expect(result.json<ErrorJson>().error.message).toBe('Missing secret: POSTGRES_PASSWORD.');
      expect(existsSync(root)).toBe(false);
    } finally {
      writeFileSync(file, generated);
    }
  });

  it('When a production setting the API requires is missing or weak, then deploy exits 3 naming each and where to set it, before connecting', async () => {
    const yml = readFileSync(join(project, 'nexus.yml'), 'utf8');
    writeFileSync(join(project, 'nexus.yml'), yml.replace(/^ {4}PAYMENT_PROVIDER: .*\n/m, ''));
    try {
      const result = await nexus(['deploy', '--target', 'production', '--image', 'shop:1.0.0'], { ...secrets, JWT_SECRET: 'j'.repeat(40) });
      expect(result.code).toBe(3);
      const { message } = result.json<ErrorJson>().error;
      expect(message).toContain('PAYMENT_PROVIDER: production must name its payment provider');
      expect(message).toContain('→ set PAYMENT_PROVIDER under env: in nexus.yml (app.env for every target, or targets.production.env)');
      expect(message).toContain('JWT_SECRET: too little variety for a signing key');
      expect(message).toContain('→ set JWT_SECRET in .nexus/secrets (or the environment)');
      expect(existsSync(root)).toBe(false);
    } finally {
      writeFileSync(join(project, 'nexus.yml'), yml);
    }
  });

  it('When the build context is not a git checkout, then deploy exits 1 suggesting --image, before connecting', async () => {
    const result = await nexus(['deploy', '--target', 'production']);
    expect(result.code).toBe(1);
    expect(result.json<ErrorJson>().error).toMatchObject({ code: 'BUILD_FAILED' });
    expect(result.json<ErrorJson>().error.message).toContain('is not a git checkout with a commit');
    expect(existsSync(root)).toBe(false);
  });

  it('When the target is unknown, then deploy exits 3 listing the defined ones', async () => {
    const result = await nexus(['deploy', '--target', 'staging']);
    expect(result.code).toBe(3);
    expect(result.json<ErrorJson>().error.message).toBe('Unknown target "staging": nexus.yml defines production.');
  });

  it('When the host refuses the key, then deploy exits 7 and nothing is created', async () => {
    const yml = readFileSync(join(project, 'nexus.yml'), 'utf8');
    writeFileSync(join(project, 'nexus.yml'), yml.replace(sshd.clientKey, sshd.strangerKey));
    try {
      const result = await nexus(['deploy', '--target', 'production', '--image', 'shop:1.0.0']);
      expect(result.code).toBe(7);
      expect(existsSync(root)).toBe(false);
    } finally {
      writeFileSync(join(project, 'nexus.yml'), yml);
    }
  });

  it('When the host shows another host key, then deploy exits 8 and sends nothing', async () => {
    const yml = readFileSync(join(project, 'nexus.yml'), 'utf8');
    writeFileSync(join(project, 'nexus.yml'), yml.replace(sshd.hostKey, sshd.otherHostKey));
    try {
      const result = await nexus(['deploy', '--target', 'production', '--image', 'shop:1.0.0']);
      expect(result.code).toBe(8);
      expect(result.json<ErrorJson>().error.code).toBe('HOST_KEY_MISMATCH');
      expect(existsSync(root)).toBe(false);
    } finally {
      writeFileSync(join(project, 'nexus.yml'), yml);
    }
  });

  it('When the host has no reachable Docker, then deploy exits 1 saying what is missing, changes nothing and leaves the lock free', async () => {
    const result = await nexus(['deploy', '--target', 'production', '--image', 'shop:1.0.0']);
    expect(result.code).toBe(1);
    const { error } = result.json<ErrorJson>();
    expect(error.code).toBe('HOST_NOT_READY');
    expect(error.message).toContain('cannot reach the Docker daemon');
    untouched();
    expect((await nexus(['lock', 'status', '--target', 'production'])).json()).toEqual({ locked: false });
  });

  it('When there is nothing to roll back to, then rollback says so and exits 1', async () => {
    const result = await nexus(['deploy', 'rollback', '--target', 'production']);
    expect(result.code).toBe(1);
    expect(result.json<ErrorJson>().error).toMatchObject({ code: 'NO_SUCH_RELEASE', message: 'No release before the current one on 127.0.0.1: nothing to roll back to.' });
  });

  it('When the release argument is not a release id, then rollback is a usage error', async () => {
    const result = await nexus(['deploy', 'rollback', '../../etc', '--target', 'production']);
    expect(result.code).toBe(2);
    untouched();
  });
});
