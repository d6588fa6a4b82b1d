import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { NexusError } from '../errors';
import { buildFlags, imageBuildLabel } from '../remote/docker';
import type { StepReporter } from './progress';

const run = promisify(execFile);

/** What a deploy ships: the committed source of the build context, identified by its commit. */
export interface SourceSnapshot {
  /** Short commit id, the release's version. */
  version: string;
  /** Uncommitted changes exist: they are not part of the snapshot. */
  dirty: boolean;
  /** The full commit id (absent for a prebuilt --image). */
  commit?: string;
}

export async function snapshotOf(context: string): Promise<SourceSnapshot> {
  try {
    const { stdout: commit } = await run('git', ['-C', context, 'rev-parse', 'HEAD']);
    const { stdout: status } = await run('git', ['-C', context, 'status', '--porcelain', '--untracked-files=no']);
    return { version: commit.trim().slice(0, 12), commit: commit.trim(), dirty: status.trim() !== '' };
  } catch (error) {
    throw new NexusError(`The build context ${context} is not a git checkout with a commit: ${(error as Error).message.split('\n')[0] ?? ''}`, {
      code: 'BUILD_FAILED',
      suggestions: ['deploy from a git checkout (set build.context in nexus.yml), or pass --image with an image the hosts already have'],
    });
  }
}

/**
 * What identifies a build's result: the commit (the context is `git archive` of it) and the build arguments.
 * Stored as the image's BUILD_LABEL, it tells a later deploy that the image under the commit's tag is the one
 * it would build, so the build and the upload can be skipped.
 */
export function buildFingerprint(commit: string, args: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(args)
    .sort()
    .map((name) => [name, args[name]]);
  return createHash('sha256').update(JSON.stringify({ commit, args: sorted })).digest('hex').slice(0, 32);
}

/** The build label of an image in the local Docker (undefined when the image is not there). */
export async function localBuildLabel(tag: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('docker', [...imageBuildLabel(tag)].slice(1));
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** A scratch directory for archives, removed by the returned function. */
export function scratchDirectory(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-deploy-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The committed tree at HEAD as a tar archive: exactly what was reviewed, never stray local files. */
export async function contextArchive(context: string, file: string): Promise<void> {
  await run('git', ['-C', context, 'archive', '--format=tar', '-o', file, 'HEAD']);
}

function spawnChecked(command: string, args: string[], reporter: StepReporter, stdinFile?: string, stdoutTo?: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4_000);
      const line = chunk.toString().trim().split('\n').pop();
      if (line) reporter.report(line.slice(0, 120));
    };
    if (stdoutTo) child.stdout.pipe(stdoutTo);
    else child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new NexusError(`${command} ${args[0] ?? ''} failed (exit ${code}):\n${tail.trim().split('\n').slice(-15).join('\n')}`, { code: 'BUILD_FAILED' }))));
  });
}

/** `docker build` here (the local daemon, or DOCKER_HOST) from a context archive. */
export async function buildLocally(archive: string, tag: string, args: Readonly<Record<string, string>>, network: string | undefined, labels: Readonly<Record<string, string>>, reporter: StepReporter): Promise<void> {
  const flags = buildFlags(args, network, labels);
  await spawnChecked('docker', ['build', '-t', tag, ...flags, '-'], reporter, archive);
}

/** `docker save | gzip` into a file, for upload to hosts that do not build. */
export async function saveImage(tag: string, file: string, reporter: StepReporter): Promise<void> {
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(file));
  await spawnChecked('docker', ['save', tag], reporter, undefined, gzip);
  await written;
}
