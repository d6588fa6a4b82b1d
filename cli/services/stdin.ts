import { UsageError } from '../errors';

/** Reads a secret piped on stdin (one line; the trailing newline is dropped). */
export async function readPasswordFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) throw new UsageError('--password-stdin expects the password piped in, not typed.', ['printf %s "$PASSWORD" | nexus …']);
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!value) throw new UsageError('--password-stdin: standard input was empty.');
  return value;
}
