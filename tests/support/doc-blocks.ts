import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Fenced code blocks in these languages are shell the reader is meant to paste. */
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell']);
/** `<!-- not-run: why -->` on the line before a block keeps it out of the run; the reason is required. */
const NOT_RUN = /^<!--\s*not-run:\s*(.*?)\s*-->$/;
/** Commands a reader would paste: an untagged block starting with one of these must be tagged `sh`. */
const COMMAND_WORDS = /^(\$ )?(curl|npx|npm|nexus|node|export|[A-Z_]+=)\b/;

export interface ShellBlock {
  file: string;
  /** 1-based line of the block's first code line in the markdown file. */
  line: number;
  code: string;
  /** The not-run marker's reason, when the block is not meant to run. */
  notRun?: string;
}

export interface BlockScan {
  blocks: ShellBlock[];
  /** Problems with the markdown itself: a marker without a reason, a command block without a shell tag. */
  problems: string[];
}

/** The shell blocks of one markdown file, in document order (fences of ``` at up to three spaces' indent). */
export function scanShellBlocks(file: string, markdown: string): BlockScan {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  const problems: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^ {0,3}```\s*([\w-]*)/.exec(lines[index] ?? '');
    if (!open) continue;
    const language = open[1] ?? '';
    const start = index + 1;
    let end = start;
    while (end < lines.length && !/^ {0,3}```\s*$/.test(lines[end] ?? '')) end += 1;
    const code = lines.slice(start, end).join('\n');
    const previous = (lines[index - 1] ?? '').trim();
    const marker = NOT_RUN.exec(previous);
    if (SHELL_LANGUAGES.has(language)) {
      if (marker && !marker[1]) problems.push(`${file}:${index}: a not-run marker must say why`);
      if (!marker) problems.push(...unsafeCommands(code).map((problem) => `${file}:${start + 1 + problem.offset}: ${problem.message}`));
      blocks.push({ file, line: start + 1, code, notRun: marker?.[1] || undefined });
    } else if (language === '' && COMMAND_WORDS.test(code.trimStart())) {
      problems.push(`${file}:${start + 1}: a block of commands without a shell tag (\`\`\`sh), so it would never be run`);
    }
    index = end;
  }
  return { blocks, problems };
}

/**
 * Commands that could fail without stopping a `set -e` session: `set -e` ignores a failure on the left of
 * `&&`, and curl exits 0 on an HTTP error unless told to fail (or its answer is checked by `jq -e`).
 */
function unsafeCommands(code: string): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  const lines = code.split('\n');
  for (let offset = 0; offset < lines.length; offset += 1) {
    const first = offset;
    let command = lines[offset] ?? '';
    while (command.endsWith('\\') && offset + 1 < lines.length) command = `${command.slice(0, -1)} ${lines[(offset += 1)] ?? ''}`;
    command = command.replace(/\s#.*$/, '');
    if (/\s&&\s/.test(command)) found.push({ offset: first, message: 'put commands chained with && on separate lines, so a failure stops the run' });
    if (/\bcurl\s/.test(command) && !/\s(--fail(-with-body)?|-[a-zA-Z]*f[a-zA-Z]*)\s/.test(command) && !/\|\s*jq\s+-e/.test(command)) {
      found.push({ offset: first, message: 'curl needs --fail-with-body (or its answer checked with `| jq -e`), so an HTTP error fails the block' });
    }
  }
  return found;
}

export interface SessionResult {
  ok: boolean;
  /** What failed, with the block, the markdown line of the failing command and the block's output. */
  report: string;
}

/**
 * Runs blocks in order in ONE bash session (so variables carry over from block to block), with
 * `set -euo pipefail`: the first failing command stops the session and is reported by its markdown line.
 */
export async function runShellSession(blocks: ShellBlock[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<SessionResult> {
  const nonce = randomBytes(6).toString('hex');
  const marker = (what: string) => `<<${nonce}:${what}>>`;
  const script = ['set -euo pipefail', 'shopt -s inherit_errexit', 'exec 2>&1', `trap 'echo "${marker('failed-at:$LINENO')}"' ERR`];
  /** markdown location of each script line (1-based script line → block index and markdown line). */
  const origin = new Map<number, { block: number; line: number }>();
  blocks.forEach((block, blockIndex) => {
    script.push(`echo '${marker(`block:${blockIndex}`)}'`);
    block.code.split('\n').forEach((codeLine, offset) => {
      script.push(codeLine);
      origin.set(script.length, { block: blockIndex, line: block.line + offset });
    });
  });
  script.push(`echo '${marker('done')}'`);

  const dir = mkdtempSync(join(tmpdir(), 'nexus-doc-session-'));
  const path = join(dir, 'session.sh');
  writeFileSync(path, `${script.join('\n')}\n`);
  try {
    const { code, output, timedOut } = await runBash(path, options);
    const sections = output.split(new RegExp(`^${marker('block:(\\d+)').replace(/[<>]/g, '\\$&')}$`, 'm'));
    // split() with a capture group alternates: [before, index, text, index, text, ...]
    const outputs = new Map<number, string>();
    for (let at = 1; at < sections.length; at += 2) outputs.set(Number(sections[at]), sections[at + 1] ?? '');
    if (code === 0 && output.includes(marker('done'))) return { ok: true, report: '' };

    const failedAt = new RegExp(`${marker('failed-at:(\\d+)').replace(/[<>]/g, '\\$&')}`).exec(output);
    const location = failedAt ? origin.get(Number(failedAt[1])) : undefined;
    const lastBlock = location?.block ?? Math.max(0, ...outputs.keys());
    const block = blocks[lastBlock];
    const where = location ? `${block?.file}:${location.line}` : `${block?.file}:${block?.line}`;
    const cause = timedOut ? `timed out after ${options.timeoutMs} ms` : `exit ${code}`;
    const shown = (outputs.get(lastBlock) ?? output).replace(new RegExp(`^<<${nonce}:[^>]*>>\\n?`, 'gm'), '').trimEnd();
    return {
      ok: false,
      report: [`shell block ${lastBlock + 1} of ${blocks.length} (${where}) failed: ${cause}`, '--- block', block?.code ?? '', '--- output', shown].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runBash(path: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also stops a curl the session is waiting on.
    const child = spawn('bash', ['--noprofile', '--norc', path], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}
