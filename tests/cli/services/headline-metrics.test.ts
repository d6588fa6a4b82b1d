import { Counter, Gauge, Registry } from 'prom-client';
import { Metrics } from '../../../api/infra/metrics';
import { headlineMetrics, quantileFromBuckets } from '../../../cli/services/headline-metrics';
import { parsePrometheusText } from '../../../cli/services/prometheus-text';

describe('the Prometheus text format, parsed', () => {
  it('When prom-client writes labels with quotes, backslashes and newlines, then each sample comes back with its labels and value; comments are skipped', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'odd_total', help: 'A "help" line\\ with escapes.', labelNames: ['path'] as const, registers: [registry] });
    counter.inc({ path: 'say "hi"\\now\nthere' }, 3);
    counter.inc({ path: '/plain' }, 0.5);
    expect(parsePrometheusText(await registry.metrics())).toEqual([
      { name: 'odd_total', labels: { path: 'say "hi"\\now\nthere' }, value: 3 },
      { name: 'odd_total', labels: { path: '/plain' }, value: 0.5 },
    ]);
  });

  it('When values are special or carry a timestamp, and some lines are malformed, then the good ones are read and the others skipped', () => {
    const text = ['# TYPE x gauge', 'up 1 1700000000000', 'x{le="+Inf"} +Inf', 'y NaN', 'z -Inf', 'broken{a="x} 1', '{a="b"} 2', 'novalue', 'bad 12abc', 'spaced{ a="1" , b="2" } 7', ''].join('\n');
    const samples = parsePrometheusText(text);
    expect(samples.map((sample) => [sample.name, sample.labels, sample.value])).toEqual([
      ['up', {}, 1],
      ['x', { le: '+Inf' }, Infinity],
      ['y', {}, NaN],
      ['z', {}, -Infinity],
      ['spaced', { a: '1', b: '2' }, 7],
    ]);
  });
});

describe('headline metrics: requests per second since start, 5xx share, p99', () => {
  it("When the API's own registry has counted requests on two routes, then the headline sums them: rate over the process's life, 5xx share, p99 interpolated in its bucket", async () => {
    const metrics = new Metrics();
    // What collectProcessMetrics() exports (prom-client's default metric), without its timers in the test process.
    const start = 1_760_000_000.5;
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [metrics.registry] }).set(start);
    for (let index = 0; index < 500; index += 1) metrics.httpDuration.observe({ method: 'GET', route: '/api/v1/products/' }, 0.003);
    for (let index = 0; index < 480; index += 1) metrics.httpDuration.observe({ method: 'GET', route: '/api/v1/products/:id/' }, 0.003);
    for (let index = 0; index < 20; index += 1) metrics.httpDuration.observe({ method: 'POST', route: '/api/v1/orders/' }, 0.03);
    metrics.httpRequests.inc({ method: 'GET', route: '/api/v1/products/', status_class: '2xx' }, 500);
    metrics.httpRequests.inc({ method: 'GET', route: '/api/v1/products/:id/', status_class: '4xx' }, 480);
    metrics.httpRequests.inc({ method: 'POST', route: '/api/v1/orders/', status_class: '5xx' }, 20);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    // 980 of 1000 under 5 ms, 20 between 25 and 50 ms: rank 990 is half-way into the 25–50 ms bucket.
    expect(headlineMetrics(samples, start + 400)).toEqual({ requests: 1000, requestsPerSecond: 2.5, serverErrorRatio: 0.02, p99Seconds: 0.0375, since: new Date(start * 1000).toISOString() });
  });

  it('When nothing was asked yet, or the process does not export its start, then those numbers are null, not zero', () => {
    expect(headlineMetrics([], 1_700_000_000)).toEqual({ requests: 0, requestsPerSecond: null, serverErrorRatio: null, p99Seconds: null, since: null });
    const started = [{ name: 'process_start_time_seconds', labels: {}, value: 1_700_000_000 }];
    expect(headlineMetrics(started, 1_700_000_100)).toMatchObject({ requests: 0, requestsPerSecond: 0, serverErrorRatio: null });
  });

  it('When the rank falls in the first bucket, in the +Inf bucket, or there is no +Inf bucket, then the estimate is from 0, the highest finite bound, or none', () => {
    expect(quantileFromBuckets(0.5, [{ le: 0.1, count: 10 }, { le: Infinity, count: 10 }])).toBeCloseTo(0.05);
    expect(quantileFromBuckets(0.99, [{ le: 0.1, count: 1 }, { le: 10, count: 2 }, { le: Infinity, count: 100 }])).toBe(10);
    expect(quantileFromBuckets(0.99, [{ le: 0.1, count: 10 }])).toBeNull();
    expect(quantileFromBuckets(0.99, [{ le: Infinity, count: 0 }])).toBeNull();
  });
});
