import { runNexus, startNexus, type CliResult } from '../../support/cli';
import { describeWith } from '../../support/components';
import { dnsmasqAvailable, startDnsmasq, type RunningDnsmasq } from '../../support/dnsmasq';

interface Report {
  verdict: string;
  domains: { domain: string; verdict: string; answers: { resolver: string; verdict: string; addresses: string[] }[]; notes: string[] }[];
}

const HOST = '203.0.113.10';

describeWith('dnsmasq', dnsmasqAvailable, 'nexus dns verify against real DNS servers', () => {
  const servers: RunningDnsmasq[] = [];
  let right: RunningDnsmasq;
  let alsoRight: RunningDnsmasq;
  let missing: RunningDnsmasq;
  let wrong: RunningDnsmasq;

  beforeAll(async () => {
    const caa = ['caa-record=nexus.test,0,issue,letsencrypt.org', 'caa-record=strict.test,0,issue,sectigo.com'];
    right = await startDnsmasq('test', [`host-record=shop.nexus.test,${HOST}`, `host-record=shop.strict.test,${HOST}`, 'host-record=cdn.nexus.test,104.16.1.1', ...caa]);
    alsoRight = await startDnsmasq('test', [`host-record=shop.nexus.test,${HOST}`, ...caa]);
    missing = await startDnsmasq('test', caa);
    wrong = await startDnsmasq('test', ['host-record=shop.nexus.test,198.51.100.7', ...caa]);
    servers.push(right, alsoRight, missing, wrong);
  });
  afterAll(() => Promise.all(servers.map((server) => server.stop())));

  const verify = (domain: string, resolvers: RunningDnsmasq[], extra: string[] = []): Promise<CliResult> =>
    runNexus(['dns', 'verify', '--domain', domain, '--expect', HOST, '--no-system', ...resolvers.flatMap((server) => ['--resolver', server.address]), '--json', ...extra]);

  it('When every resolver answers with the host, then it exits 0', async () => {
    const result = await verify('shop.nexus.test', [right, alsoRight]);
    expect(result.code).toBe(0);
    const report = result.json<Report>();
    expect(report.verdict).toBe('ok');
    expect(report.domains[0]?.answers.map((answer) => [answer.verdict, answer.addresses])).toEqual([
      ['ok', [HOST]],
      ['ok', [HOST]],
    ]);
    expect(result.json<{ resolvers: unknown }>().resolvers).toEqual([
      { name: right.address, servers: [right.address] },
      { name: alsoRight.address, servers: [alsoRight.address] },
    ]);
  });

  it('When run at a terminal or in a log, then it says which resolvers it asked, the system one with its servers', async () => {
    // The machine's own resolver knows nothing of .test names: not propagated (12), and the report says whom it asked.
    const result = await runNexus(['dns', 'verify', '--domain', 'shop.nexus.test', '--expect', HOST, '--resolver', right.address]);
    expect(result.code).toBe(12);
    expect(result.stdout.split('\n')[0]).toMatch(new RegExp(`^Asked: system \\(.+\\), ${right.address.replace(/[.]/g, '\\.')}$`));
    const failing = await verify('shop.nexus.test', [right, missing]);
    expect(failing.json<{ error: { message: string; details: { resolvers: { name: string }[] } } }>().error).toMatchObject({
      message: expect.stringContaining(`Asked: ${right.address}, ${missing.address}`),
      details: { resolvers: [{ name: right.address }, { name: missing.address }] },
    });
  });

  it('When some resolvers have the record and others not yet, then it exits 12 (not propagated) naming each', async () => {
    const result = await verify('shop.nexus.test', [right, missing]);
    expect(result.code).toBe(12);
    const error = result.json<{ error: { code: string; message: string; details: Report } }>().error;
    expect(error.code).toBe('DNS_NOT_PROPAGATED');
    expect(error.details.domains[0]?.answers.map((answer) => answer.verdict)).toEqual(['ok', 'missing']);
    expect(error.message).toContain(`${missing.address}: missing`);
  });

  it('When the records point elsewhere, then it exits 13 (wrong) with the unexpected address', async () => {
    const result = await verify('shop.nexus.test', [wrong, missing]);
    expect(result.code).toBe(13);
    expect(result.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'DNS_WRONG', message: expect.stringContaining('unexpected 198.51.100.7') });
  });

  it('When CAA allows only another CA, then it exits 13 and says so', async () => {
    const result = await verify('shop.strict.test', [right]);
    expect(result.code).toBe(13);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('CAA at strict.test does not allow letsencrypt.org');
  });

  it('When a name answers with Cloudflare proxy addresses, then it is wrong and the proxy is named', async () => {
    const result = await verify('cdn.nexus.test', [right]);
    expect(result.code).toBe(13);
    expect(result.json<{ error: { message: string } }>().error.message).toContain('Cloudflare proxy addresses');
  });

  it('When --wait is given and the record appears, then it polls until consistent and exits 0', async () => {
    const late = await startDnsmasq('test', []);
    const port = late.port;
    const args = ['dns', 'verify', '--domain', 'shop.nexus.test', '--expect', HOST, '--no-system', '--resolver', right.address, '--resolver', `127.0.0.1:${port}`];
    const waiting = await startNexus([...args, '--wait', '--interval', '1', '--timeout', '30', '--json'], (_stdout, stderr) => stderr.includes('not propagated yet'), { timeoutMs: 30_000 });
    // The record appears only once the command has seen it missing, however slowly the CLI started.
    await late.stop();
    servers.push(await startDnsmasq('test', [`host-record=shop.nexus.test,${HOST}`], port));
    expect(await waiting.exited).toBe(0);
    expect(JSON.parse(waiting.stdout())).toMatchObject({ verdict: 'ok' });
  }, 60_000);

  it('When neither a target nor --domain and --expect are given, then it is a usage error', async () => {
    const result = await runNexus(['dns', 'verify', '--domain', 'shop.nexus.test', '--json']);
    expect(result.code).toBe(2);
  });
});
