import { randomBytes } from 'node:crypto';
import { describeWith, waitFor } from '../../support/components';
import { startApiDeployment, type ApiDeployment } from '../../support/api-process';
import { freePort } from '../../support/components';
import { checkMetrics, prometheusBinary, promtoolBinary, startPrometheus, type RunningPrometheus } from '../../support/prometheus';
import { hasRedis } from '../../support/api';

const TOKEN = randomBytes(24).toString('hex');

/**
 * The built API as production runs it, with metrics on a listener of their own (METRICS_PORT, loopback), scraped
 * by a real Prometheus; its output passes promtool's linter.
 */
describeWith('prometheus, promtool and Redis', prometheusBinary !== undefined && promtoolBinary !== undefined && hasRedis, 'metrics scraped by Prometheus', () => {
  let deployment: ApiDeployment;
  let prometheus: RunningPrometheus;
  let metricsAddress: string;

  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsAddress = `127.0.0.1:${metricsPort}`;
    deployment = await startApiDeployment(1, { METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN, LOG_LEVEL: 'info' });
    prometheus = await startPrometheus({ address: metricsAddress, token: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await deployment?.stop();
  });

  const api = () => deployment.processes[0]!;

  it('When Prometheus scrapes the METRICS_PORT listener, then a query returns the request counter of the requests made', async () => {
    for (let index = 0; index < 5; index += 1) expect((await fetch(`${api().url}/api/v1/categories/`, { headers: { Host: 'localhost' } })).status).toBe(200);
    let counted = 0;
    await waitFor(
      'Prometheus to scrape the five requests',
      async () => {
        const result = await prometheus.query('sum(nexus_http_requests_total{route="/api/v1/categories/",status_class="2xx"})');
        counted = result[0]?.value ?? 0;
        return counted === 5;
      },
      20_000,
    );
    expect(counted).toBe(5);
    const up = await prometheus.query('up{job="nexus"}');
    expect(up.map((series) => series.value)).toEqual([1]);
    // The process and pool metrics come with it.
    expect((await prometheus.query('nodejs_eventloop_lag_seconds'))).toHaveLength(1);
    expect((await prometheus.query('nexus_db_pool_connections')).map((series) => series.metric.state).sort()).toEqual(['idle', 'pending', 'used']);
    expect((await prometheus.query('nexus_redis_errors_total')).map((series) => series.metric.connection)).toContain('main');
  });

  it('When promtool checks a scrape, then it passes with no lint problem', async () => {
    const text = await (await fetch(`http://${metricsAddress}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    expect(text).toContain('# TYPE nexus_http_request_duration_seconds histogram');
    const checked = checkMetrics(text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
  });

  it('When the metrics listener is asked without the token, or for anything but /metrics, then 401 and 404; the API port has /metrics only behind the token', async () => {
    expect((await fetch(`http://${metricsAddress}/metrics`)).status).toBe(401);
    expect((await fetch(`http://${metricsAddress}/`)).status).toBe(404);
    expect((await fetch(`http://${metricsAddress}/api/v1/categories/`)).status).toBe(404);
    expect((await fetch(`${api().url}/metrics`)).status).toBe(401);
  });

  it('When its stdout is not a terminal, then the API logs JSON lines with the route template, and no token', () => {
    const lines = api().stdout().split('\n').filter(Boolean);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = entries.find((entry) => entry.route === '/api/v1/categories/');
    expect(access).toMatchObject({ msg: 'request completed', status: 200, method: 'GET', reqId: expect.any(String), ms: expect.any(Number) });
    expect(entries.find((entry) => entry.msg === 'nexus API listening')).toMatchObject({ metrics: `http://${metricsAddress}/metrics` });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
