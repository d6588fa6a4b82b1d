import { spawn, type ChildProcess } from 'node:child_process';
import { HeapProbe, INSPECTOR_URL } from './heap-probe';
import { trendOf, type Sample } from './soak';

const MB = 1024 * 1024;

describe('the soak judges memory by levels, not peaks', () => {
  const series = (bytesAt: (second: number) => number): Sample[] => Array.from({ length: 91 }, (_, index) => ({ atSeconds: index * 2, bytes: bytesAt(index * 2) }));

  it('ignores short bursts: a flat level with a spike in the last third does not grow', () => {
    // 140 MB with a 220 MB burst every 30 s, as an uncached process shows under full-text searches.
    const trend = trendOf(series((second) => (second % 30 === 0 && second > 0 ? 220 * MB : 140 * MB)), 180);
    expect(trend.growthPercent).toBeCloseTo(0, 5);
    expect(trend.peakBytes).toBe(220 * MB);
  });

  it('sees a steady climb', () => {
    // +0.5 MB a second: a leak.
    const trend = trendOf(series((second) => 140 * MB + second * 0.5 * MB), 180);
    expect(trend.firstThirdBytes).toBe(155 * MB);
    expect(trend.lastThirdBytes).toBe(215 * MB);
    expect(trend.growthPercent).toBeGreaterThan(30);
  });

  it('cannot call a third without samples steady', () => {
    const trend = trendOf([{ atSeconds: 1, bytes: 100 * MB }], 180);
    expect(Number.isNaN(trend.growthPercent)).toBe(true);
  });
});

describe('HeapProbe reads what survives a full collection', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGKILL')));

  /**
   * A node process with its inspector on a free loopback port that runs `setup`, says so and idles, and a probe
   * connected to it once it has said so (a reading during `setup` would find its objects still on the stack).
   */
  async function inspected(setup: string, flags = ['--expose-gc']): Promise<HeapProbe> {
    const script = `${setup}; process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', ...flags, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = INSPECTOR_URL.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    return HeapProbe.connect(url);
  }

  it('counts retained objects and not garbage', async () => {
    // Both processes make forty 1 MB arrays (131,072 eight-byte slots each) and then idle; one keeps them, the
    // other drops them at once, so they are garbage no collection has taken yet.
    const megabytes = 'Array.from({ length: 40 }, (_, i) => new Array(131072).fill(i + 0.5))';
    const keeper = await inspected(`globalThis.kept = ${megabytes}`);
    const churner = await inspected(`void ${megabytes}`);
    try {
      const [kept, churned] = [await keeper.liveHeapBytes(), await churner.liveHeapBytes()];
      expect(kept).toBeGreaterThan(40 * MB);
      expect(churned).toBeLessThan(20 * MB);
    } finally {
      keeper.close();
      churner.close();
    }
  });

  it('refuses a process started without --expose-gc', async () => {
    const probe = await inspected('', []);
    try {
      await expect(probe.liveHeapBytes()).rejects.toThrow('start it with --expose-gc');
    } finally {
      probe.close();
    }
  });

  it('fails clearly when the process is gone', async () => {
    const probe = await inspected('');
    children.at(-1)?.kill('SIGKILL');
    await expect(probe.liveHeapBytes()).rejects.toThrow();
    probe.close();
  });
});
