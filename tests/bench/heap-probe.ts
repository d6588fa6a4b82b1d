import WebSocket from 'ws';

/** Matches the line `node --inspect` writes to stderr once its inspector listens. */
export const INSPECTOR_URL = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/;

/**
 * The live heap of another Node process, read over its inspector (started with --inspect=127.0.0.1:0 and
 * --expose-gc): a full garbage collection, then `heapUsed`. RSS swings with whatever requests are in flight and with V8's choice of
 * heap size; what survives a full collection is what the process keeps, so a leak shows there first.
 */
export class HeapProbe {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
      const message = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('the inspector connection closed'));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<HeapProbe> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new HeapProbe(socket)));
      socket.once('error', reject);
    });
  }

  /**
   * Bytes of JavaScript heap still in use after a full, blocking garbage collection. The process's own gc(), not
   * the inspector's HeapProfiler.collectGarbage: that one is V8's low-memory notification, which also throws away
   * compiled code, and the process then runs markedly slower for seconds while it compiles it again.
   */
  async liveHeapBytes(): Promise<number> {
    const answer = (await this.call('Runtime.evaluate', {
      expression: `typeof gc === 'function' ? (gc(), process.memoryUsage().heapUsed) : 'no gc'`,
      returnByValue: true,
    })) as { result: { value: unknown } };
    if (typeof answer.result.value !== 'number') throw new Error('the process has no gc(): start it with --expose-gc');
    return answer.result.value;
  }

  close(): void {
    this.socket.close();
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }), (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}
