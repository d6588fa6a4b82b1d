import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, stopProcess, waitFor } from './components';

export const prometheusBinary = findBinary('prometheus');
export const promtoolBinary = findBinary('promtool');

export interface ScrapeTarget {
  /** host:port of the metrics listener. */
  address: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query's vector result: each series' labels and value. */
  query(expression: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** Debian's Prometheus on a free loopback port, scraping `target` every second, its data in a temporary directory. */
export async function startPrometheus(target: ScrapeTarget): Promise<RunningPrometheus> {
  if (!prometheusBinary) throw new Error('prometheus is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'nexus-prometheus-'));
  const port = await freePort();
  const authorization = target.token ? `    authorization:\n      credentials_file: ${join(dir, 'token')}\n` : '';
  if (target.token) writeFileSync(join(dir, 'token'), target.token, { mode: 0o600 });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: nexus\n${authorization}    static_configs:\n      - targets: ['${target.address}']\n`,
  );
  const child: ChildProcess = spawn(
    prometheusBinary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, 30_000);
  return {
    url,
    async query(expression) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
      const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expression} failed: ${JSON.stringify(body)}`);
      return body.data.result.map((series) => ({ metric: series.metric, value: Number(series.value[1]) }));
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promtool check metrics` on a scrape's text: its exit status and what it printed (lint problems). */
export function checkMetrics(text: string): { status: number | null; output: string } {
  if (!promtoolBinary) throw new Error('promtool is not installed');
  const result = spawnSync(promtoolBinary, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
