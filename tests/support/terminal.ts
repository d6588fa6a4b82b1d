import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { NEXUS_BIN } from './cli';

/** Terminal control sequences (colours, cursor moves) removed, so tests match the text an operator reads. */
const strip = (text: string) => stripVTControlCharacters(text);

/** Shell-quotes one argument for `script -c`. */
const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * The built `nexus` at a real pseudo-terminal, as an operator runs it: util-linux `script` allocates the
 * pty and relays what the test types (keys, Enter as \r, Ctrl-C as \x03, which the pty's line discipline
 * or readline turns into an interrupt) and everything the command prints, stdout and stderr merged.
 */
export class Terminal {
  private static readonly open = new Set<Terminal>();
  private text = '';
  private mark = 0;
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('close', resolve));
  }

  static start(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Terminal {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', ...options.env };
    for (const name of ['CI', 'NODE_OPTIONS', 'DATABASE_URL']) if (!(options.env && name in options.env)) delete env[name];
    // A wide terminal, so prompts and messages are not wrapped in the middle of what the tests look for.
    const command = `stty cols 250 rows 50; exec ${[process.execPath, NEXUS_BIN, ...args].map(quote).join(' ')}`;
    const terminal = new Terminal(spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { cwd: options.cwd, env }));
    Terminal.open.add(terminal);
    void terminal.exited.then(() => Terminal.open.delete(terminal));
    return terminal;
  }

  /** Everything printed so far, as text. */
  output(): string {
    return strip(this.text);
  }

  /** Waits until `pattern` appears after what earlier waits consumed, and consumes up to its end. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output().slice(this.mark);
      const match = typeof pattern === 'string' ? { index: rest.indexOf(pattern), length: pattern.length } : ((found) => ({ index: found?.index ?? -1, length: found?.[0].length ?? 0 }))(pattern.exec(rest));
      if (match.index >= 0) {
        this.mark += match.index + match.length;
        return rest.slice(0, match.index + match.length);
      }
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`"${String(pattern)}" did not appear; the terminal shows:\n${this.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Types at the keyboard. */
  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Ends every terminal still open (a failed test leaves its command waiting at a prompt). */
  static closeAll(): void {
    for (const terminal of Terminal.open) terminal.child.kill('SIGKILL');
  }
}

/** Keys: Enter, Ctrl-C, and Ctrl-U (erase the line typed so far; a rejected answer is kept for editing). */
export const KEY = { enter: '\r', interrupt: '\x03', eraseLine: '\x15' } as const;
