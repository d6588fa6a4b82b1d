import { Writable } from 'node:stream';

/**
 * A log destination that holds what is written until `release()`, then passes everything through: `nexus dev`
 * logs while it starts, and those lines must come after its progress and banner, not through them.
 */
export class HeldLog extends Writable {
  private held: Buffer[] | undefined = [];

  constructor(private readonly out: NodeJS.WriteStream) {
    super();
  }

  /** The terminal-ness of the stream behind it, so a pretty format still colours at a terminal. */
  get isTTY(): boolean {
    return this.out.isTTY === true;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.held) this.held.push(chunk);
    else this.out.write(chunk);
    done();
  }

  /** Writes what was held and lets every later line straight through. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const chunk of held) this.out.write(chunk);
  }
}
