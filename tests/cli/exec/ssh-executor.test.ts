import { lstatSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { NexusError } from '../../../cli/errors';
import { ExitCode } from '../../../cli/exit-codes';
import { SshExecutor, type SshTarget } from '../../../cli/exec/ssh-executor';
import { describeWith, freePort, waitFor } from '../../support/components';
import { sshdAvailable, startSshd, type RunningSshd } from '../../support/sshd';

describeWith('sshd', sshdAvailable, 'SshExecutor against a real sshd', () => {
  let sshd: RunningSshd;
  let target: SshTarget;
  beforeAll(async () => {
    sshd = await startSshd();
    target = { address: sshd.address, port: sshd.port, user: sshd.user, keyPath: sshd.clientKey, hostKey: sshd.hostKey, connectTimeoutSeconds: 5 };
  });
  afterAll(() => sshd.stop());

  async function refusal(overrides: Partial<SshTarget>): Promise<NexusError> {
    try {
      await (await SshExecutor.connect({ ...target, ...overrides })).close();
    } catch (error) {
      expect(error).toBeInstanceOf(NexusError);
      return error as NexusError;
    }
    throw new Error('expected the connection to be refused');
  }

  it('When the pinned key matches, then argv arrives intact (quotes, spaces, $, newlines) with exit codes and stderr', async () => {
    const ssh = await SshExecutor.connect(target);
    try {
      const tricky = `it's "quoted" $HOME \`date\` ; rm -rf /nonexistent\nsecond line`;
      const echoed = await ssh.run(['printf', '%s', tricky]);
      expect(echoed).toEqual({ code: 0, signal: null, stdout: tricky, stderr: '' });
      const failed = await ssh.run(['sh', '-c', 'echo oops >&2; exit 3']);
      expect(failed).toMatchObject({ code: 3, stderr: 'oops\n' });
      expect((await ssh.run(['cat'], { stdin: 'from stdin' })).stdout).toBe('from stdin');
    } finally {
      await ssh.close();
    }
  });

  it('When uploading, then the file arrives byte for byte', async () => {
    const local = join(tmpdir(), `nexus-upload-${process.pid}.bin`);
    const content = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 251));
    writeFileSync(local, content);
    const ssh = await SshExecutor.connect(target);
    try {
      await ssh.upload(local, join(sshd.remoteRoot, 'uploaded.bin'));
    } finally {
      await ssh.close();
    }
    expect(readFileSync(join(sshd.remoteRoot, 'uploaded.bin')).equals(content)).toBe(true);
  });

  it('When a file is downloaded or uploaded under umask 000, then both copies are mode 600, and a symlink planted at the download path is replaced, not written through', async () => {
    const local = join(tmpdir(), `nexus-private-${process.pid}.bin`);
    const remote = join(sshd.remoteRoot, 'private.bin');
    const planted = join(tmpdir(), `nexus-planted-${process.pid}.txt`);
    writeFileSync(remote, 'backup bytes');
    writeFileSync(planted, 'not yours');
    symlinkSync(planted, `${local}.down`);
    const previous = process.umask(0o000);
    const ssh = await SshExecutor.connect(target);
    try {
      await ssh.download(remote, `${local}.down`);
      writeFileSync(local, 'to upload');
      await ssh.upload(local, `${remote}.up`);
    } finally {
      process.umask(previous);
      await ssh.close();
    }
    expect({ downloaded: statSync(`${local}.down`).mode & 0o777, uploaded: statSync(`${remote}.up`).mode & 0o777 }).toEqual({ downloaded: 0o600, uploaded: 0o600 });
    expect(lstatSync(`${local}.down`).isSymbolicLink()).toBe(false);
    expect(readFileSync(`${local}.down`, 'utf8')).toBe('backup bytes');
    expect(readFileSync(planted, 'utf8')).toBe('not yours');
    for (const file of [local, `${local}.down`, planted]) rmSync(file, { force: true });
  });

  it('When a streamed command is aborted, then output arrived live and the remote process is gone', async () => {
    const ssh = await SshExecutor.connect(target);
    const marker = `nexus-stream-${process.pid}-${Date.now()}`;
    const chunks: string[] = [];
    const controller = new AbortController();
    try {
      const result = await ssh.stream(
        ['sh', '-c', `while true; do echo ${marker}; sleep 0.1; done`],
        (chunk) => {
          chunks.push(chunk);
          if (chunks.join('').split('\n').length > 3) controller.abort();
        },
        controller.signal,
      );
      expect(result.code).not.toBe(0);
      expect(chunks.join('')).toContain(`${marker}\n${marker}\n`);
      // sshd ends the remote loop once the channel closes; a loaded host may take a moment.
      await waitFor('the remote loop to end', async () => (await ssh.run(['sh', '-c', `pgrep -f "[e]cho ${marker}" || true`])).stdout.trim() === '');
    } finally {
      await ssh.close();
    }
  });

  it('When the host presents another key, then nothing is sent and exit code 8 says why', async () => {
    const error = await refusal({ hostKey: sshd.otherHostKey });
    expect(error.code).toBe('HOST_KEY_MISMATCH');
    expect(error.exitCode).toBe(ExitCode.HOST_KEY_MISMATCH);
    expect(error.message).toBe(`${sshd.user}@127.0.0.1:${sshd.port} presented host key ${sshd.hostKey}, not the pinned ${sshd.otherHostKey}; nothing was sent to it.`);
  });

  it('When the key is not accepted, then exit code 7 names the key', async () => {
    const error = await refusal({ keyPath: sshd.strangerKey });
    expect(error).toMatchObject({ code: 'SSH_AUTH_FAILED', exitCode: ExitCode.REMOTE_UNREACHABLE });
    expect(error.message).toBe(`${sshd.user}@127.0.0.1:${sshd.port} refused the key ${sshd.strangerKey}.`);
  });

  it('When nothing listens, then exit code 7 says the host could not be reached', async () => {
    const error = await refusal({ port: await freePort() });
    expect(error).toMatchObject({ code: 'SSH_UNREACHABLE', exitCode: ExitCode.REMOTE_UNREACHABLE });
    expect(error.message).toMatch(/^Could not reach .*ECONNREFUSED/);
  });

  it('When the key file is missing, then exit code 3 names it', async () => {
    const error = await refusal({ keyPath: '/nonexistent/id_ed25519' });
    expect(error).toMatchObject({ code: 'SSH_KEY_UNREADABLE', exitCode: ExitCode.CONFIG });
  });
});
