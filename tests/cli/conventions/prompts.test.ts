import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNexus } from '../../support/cli';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { KEY, Terminal } from '../../support/terminal';

const PIN = 'SHA256:7RCjtu5hW5Fu2xqZWCxOb+qRkCZQ5r9n0kA6oZ0Qm8c';

/** The lines after the last prompt: what the command printed once it stopped asking. */
const linesAfter = (output: string, marker: string) =>
  output
    .slice(output.lastIndexOf(marker) + marker.length)
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.trim() !== '');

describe('prompts at a real terminal: each answer checked as it is typed; Ctrl-C exits 130 with one line', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'nexus-prompts-'));
  });
  afterEach(() => Terminal.closeAll());
  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('users create-admin: a bad email, a weak password and a differing confirmation are each refused under the prompt, which stays open', async () => {
    const terminal = Terminal.start(['users', 'create-admin', '--database-url', database.url]);
    await terminal.waitFor('? Email');
    terminal.type(`not-an-email${KEY.enter}`);
    await terminal.waitFor('> Enter a valid email address.');
    terminal.type(`${KEY.eraseLine}margaret@example.com${KEY.enter}`);
    await terminal.waitFor('✔ Email margaret@example.com');

    await terminal.waitFor('? Password');
    terminal.type(`abc${KEY.enter}`);
    await terminal.waitFor('> This password is too short.');
    terminal.type(`${KEY.eraseLine}Margaret-1984${KEY.enter}`);
    await terminal.waitFor('> The password is too similar to the email address.');
    terminal.type(`${KEY.eraseLine}Granite-Orchard-Signal-58${KEY.enter}`);

    await terminal.waitFor('? Password (again)');
    terminal.type(`Granite-Orchard-Signal-59${KEY.enter}`);
    await terminal.waitFor('> The passwords differ: type the same password again.');
    terminal.type(`${KEY.eraseLine}Granite-Orchard-Signal-58${KEY.enter}`);

    await terminal.waitFor('Created staff account margaret@example.com');
    expect(await terminal.exited).toBe(0);
    expect(await database.db('users').where({ email: 'margaret@example.com' }).first()).toMatchObject({ is_staff: true });
  });

  it('init: a bad host and a bad host key are refused with the ssh-keygen hint; Ctrl-C then exits 130 with one line and writes nothing', async () => {
    const terminal = Terminal.start(['init', '--dir', dir, '--domain', 'shop.example.com']);
    await terminal.waitFor('? Host address(es), comma-separated');
    terminal.type(`203.0.113.10, bad host!${KEY.enter}`);
    await terminal.waitFor('> bad host!: expected a host name or an IP address');
    terminal.type(`${KEY.eraseLine}203.0.113.10${KEY.enter}`);

    await terminal.waitFor('? SSH key fingerprint(s) of 203.0.113.10');
    terminal.type(`not-a-pin${KEY.enter}`);
    await terminal.waitFor('> not-a-pin: expected a SHA256 fingerprint such as SHA256:7RCj… (on the host, `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it)');
    terminal.type(`${KEY.eraseLine}${PIN}, ${PIN}${KEY.enter}`);
    await terminal.waitFor('> list 1 item, comma-separated (2 given)');

    terminal.type(KEY.interrupt);
    expect(await terminal.exited).toBe(130);
    expect(linesAfter(terminal.output(), '(2 given)')).toEqual(['Error (INTERRUPTED): Interrupted at the prompt; nothing was changed.']);
    expect(existsSync(join(dir, 'nexus.yml'))).toBe(false);
  });

  it('init: mail, payment and the TLS contact are asked for, each answer checked; the file and private secrets are written', async () => {
    const project = mkdtempSync(join(tmpdir(), 'nexus-prompts-init-'));
    try {
      const terminal = Terminal.start(['init', '--dir', project, '--host', '203.0.113.10', '--host-key', PIN, '--domain', 'shop.example.com']);
      await terminal.waitFor('? Mail transport: smtp sends password resets (SMTP_URL secret) (smtp, disabled)');
      terminal.type(`log${KEY.enter}`);
      await terminal.waitFor('> expected one of: smtp, disabled');
      terminal.type(`${KEY.eraseLine}smtp${KEY.enter}`);
      await terminal.waitFor('? Payment provider (simulated)');
      terminal.type(`simulated${KEY.enter}`);
      await terminal.waitFor('? Contact email for the TLS certificates (ACME account)');
      terminal.type(`ops-at-example${KEY.enter}`);
      await terminal.waitFor('> expected an email address such as ops@example.com');
      terminal.type(`${KEY.eraseLine}ops@example.com${KEY.enter}`);
      await terminal.waitFor('To fill in: uncomment the SMTP_URL line');
      expect(await terminal.exited).toBe(0);
      const yml = readFileSync(join(project, 'nexus.yml'), 'utf8');
      expect(yml).toContain('MAIL_TRANSPORT: smtp');
      expect(yml).toContain('email: "ops@example.com"');
      expect(statSync(join(project, '.nexus', 'secrets')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('health --watch: SIGINT ends it at once with exit 130 and one line on stderr', async () => {
    const watch = await startNexus(['health', '--url', 'http://127.0.0.1:1/', '--watch', '--interval', '60'], (stdout) => stdout.includes('NOT HEALTHY'));
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(130);
    expect(watch.stderr().trim().split('\n')).toEqual(['Error (INTERRUPTED): Interrupted after 1 check; the last found http://127.0.0.1:1/ NOT healthy.']);
  });
});
