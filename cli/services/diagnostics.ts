import type { Executor } from '../exec/executor';
import { diagnosticProbes, type DiagnosticTarget } from '../remote/diagnostics';
import { withDockerHost } from '../remote/docker';

export interface ProbeResult {
  name: string;
  title: string;
  ok: boolean;
  exitCode: number | null;
  output: string;
}

export interface HostDiagnostics {
  host: string;
  collectedAt: string;
  probes: ProbeResult[];
  /** Things worth acting on, derived from the probes (full disk, failing nginx -t, no Docker…). */
  warnings: string[];
}

const MAX_OUTPUT = 8_000;

function cap(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.length > MAX_OUTPUT ? `${trimmed.slice(0, MAX_OUTPUT)}\n… (${trimmed.length - MAX_OUTPUT} more characters)` : trimmed;
}

function warningsFrom(probes: ProbeResult[]): string[] {
  const byName = new Map(probes.map((probe) => [probe.name, probe]));
  const warnings: string[] = [];
  for (const line of byName.get('disk')?.output.split('\n').slice(1) ?? []) {
    const [, , , , use, mount] = line.split(/\s+/);
    if (use && Number.parseInt(use, 10) >= 90) warnings.push(`disk ${mount ?? ''} is ${use} full`);
  }
  const memory = new Map<string, number>((byName.get('memory')?.output ?? '').split('\n').map((line) => [line.split(':')[0] ?? '', Number.parseInt(line.split(/\s+/)[1] ?? '', 10)]));
  const [total, available] = [memory.get('MemTotal'), memory.get('MemAvailable')];
  if (total && available !== undefined && available / total < 0.1) warnings.push(`only ${Math.round((available / total) * 100)}% of memory available`);
  for (const [name, message] of [['docker', 'Docker is not available (run `nexus server provision`)'], ['nginx', 'nginx -t fails or nginx is missing'], ['firewall', 'the firewall status could not be read']] as const) {
    const probe = byName.get(name);
    // The probe's last line is its reason (a failing directive, sudo refusing, a missing binary).
    if (probe?.ok === false) warnings.push(`${message} (exit ${probe.exitCode ?? 'signal'}${probe.exitCode === 124 ? ', timed out' : ''}): ${probe.output.trim().split('\n').pop() ?? ''}`);
  }
  if (/^Status: inactive/m.test(byName.get('firewall')?.output ?? '')) warnings.push('the firewall (ufw) is inactive: every port is open (run `nexus server provision`)');
  // The serving release's containers: an API or worker that is not running and healthy.
  for (const line of byName.get('release')?.output.split('\n') ?? []) {
    const container = /^(\S+) (\S+) (\S+) restarts=(\d+) \/?(\S+)$/.exec(line);
    if (!container) continue;
    const [, service, state, health, restarts, name] = container as unknown as [string, string, string, string, string, string];
    const problems = [...(state === 'running' ? [] : [state]), ...(health === 'unhealthy' || health === 'starting' ? [health] : []), ...(Number(restarts) > 0 ? [`restarted ${restarts} times`] : [])];
    const logs = service === 'app' || service === 'worker' ? ` (\`nexus logs ${service}\` shows why)` : '';
    if (problems.length > 0) warnings.push(`the serving release's ${service} container ${name} is ${problems.join(', ')}${logs}`);
  }
  return warnings;
}

/** Runs every probe on one host, one after the other over one connection; a failing probe is reported, not fatal. */
export async function collectDiagnostics(exec: Executor, target: DiagnosticTarget & { dockerHost?: string }, now: () => Date = () => new Date()): Promise<HostDiagnostics> {
  const probes: ProbeResult[] = [];
  for (const probe of diagnosticProbes(target)) {
    const result = await exec.run(withDockerHost(probe.command, target.dockerHost));
    probes.push({ name: probe.name, title: probe.title, ok: result.code === 0, exitCode: result.code, output: cap(result.stdout + result.stderr) });
  }
  return { host: exec.host, collectedAt: now().toISOString(), probes, warnings: warningsFrom(probes) };
}
