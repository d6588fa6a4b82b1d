import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '../../api/infra/metrics';
import { createDatabase } from '../../db/connection';
import { jobMetrics } from '../../cli/remote/job-metrics';
import { describeWith } from '../support/components';
import { promtoolBinary } from '../support/prometheus';

const ROOT = join(__dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8');

/** The yaml block of docs/observability.md whose first line is `# <name>`. */
function yamlBlock(name: string): string {
  const match = new RegExp('```yaml\\n(# ' + name.replace('.', '\\.') + '\\n[\\s\\S]*?)```').exec(DOC);
  if (!match) throw new Error(`docs/observability.md has no yaml block starting "# ${name}"`);
  return match[1] as string;
}

/** Every series name nexus exports: the API's registry (histograms with their suffixes) and what the jobs write. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new Metrics();
  metrics.collectProcessMetrics();
  // The pool's gauges exist once a pool is observed: one that never connects will do.
  const db = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/none' });
  metrics.observeDatabasePool(db);
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  metrics.registry.clear();
  await db.destroy();
  const script = jobMetrics('/srv/shop/metrics', { app: 'shop', target: 'production', job: 'db-backup' }, { domain: 'shop.example.com', fullchain: '/x' });
  for (const name of script.match(/\bnexus_[a-z_]+/g) ?? []) names.add(name);
  return names;
}

describeWith('promtool', promtoolBinary !== undefined, 'docs/observability.md: the Prometheus configuration and alert rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nexus-observability-doc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('When promtool checks the alert rules, then they are valid, and every nexus and Node metric they use is one nexus exports', async () => {
    const rules = yamlBlock('nexus-alerts.yml');
    writeFileSync(join(dir, 'nexus-alerts.yml'), rules);
    const checked = spawnSync(promtoolBinary as string, ['check', 'rules', join(dir, 'nexus-alerts.yml')], { encoding: 'utf8' });
    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);
    const used = new Set(rules.match(/\b(nexus|nodejs|process)_[a-z0-9_]+/g));
    expect(used.size).toBeGreaterThan(5);
    const exported = await exportedNames();
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    // The thresholds nexus status uses: 14 days, 26 hours.
    expect(rules).toContain('nexus_certificate_expiry_timestamp_seconds - time() < 14 * 86400');
    expect(rules).toContain('time() - nexus_job_last_success_timestamp_seconds{job="db-backup"} > 26 * 3600');
  });

  it('When promtool checks the scrape configuration (with its rule file beside it), then it is valid', () => {
    writeFileSync(join(dir, 'nexus-alerts.yml'), yamlBlock('nexus-alerts.yml'));
    writeFileSync(join(dir, 'token'), 'a-metrics-token-of-24-chars', { mode: 0o600 });
    const config = yamlBlock('prometheus.yml').replace('/etc/prometheus/nexus-metrics-token', join(dir, 'token'));
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const checked = spawnSync(promtoolBinary as string, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(`${checked.stdout}${checked.stderr}`).toContain('SUCCESS');
    expect(checked.status).toBe(0);
  });
});
