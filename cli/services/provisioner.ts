import type { Executor } from '../exec/executor';
import { NexusError } from '../errors';
import { render } from '../remote/shell';
import type { ProvisionStep } from '../remote/provision';
import { runSteps } from './progress';

export interface ProvisionReport {
  host: string;
  /** Nothing was changed: the host already was in the provisioned state. */
  unchanged: boolean;
  steps: { title: string; changes: string[] }[];
}

/** Runs the provisioning steps on one host, collecting what each changed (its `changed: …` lines). */
export async function provisionHost(exec: Executor, steps: ProvisionStep[], progress: 'interactive' | 'plain'): Promise<ProvisionReport> {
  const report: ProvisionReport = { host: exec.host, unchanged: true, steps: [] };
  await runSteps(
    steps.map((step) => ({
      title: `${exec.host}: ${step.title}`,
      run: async (reporter) => {
        const changes: string[] = [];
        for (const { command, stdin } of step.commands) {
          const result = await exec.run(command, { stdin });
          changes.push(...result.stdout.split('\n').filter((line) => line.startsWith('changed: ')).map((line) => line.slice('changed: '.length)));
          if (result.code !== 0) {
            throw new NexusError(`${exec.host}: ${step.title} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n') || `exit ${result.code}`}`, {
              code: 'PROVISION_FAILED',
              details: { host: exec.host, step: step.title, changes },
            });
          }
        }
        if (changes.length > 0) reporter.report(changes.join('; '));
        report.steps.push({ title: step.title, changes });
      },
    })),
    progress,
  );
  report.unchanged = report.steps.every((step) => step.changes.length === 0);
  return report;
}

/** What --dry-run prints: every remote command of every step, with the content of files it would write. */
export function describeSteps(steps: ProvisionStep[]): string {
  return steps
    .map((step) => [`# ${step.title}`, ...step.commands.map(({ command, stdin }) => (stdin === undefined ? render(command) : `${render(command)} <<'NEXUS'\n${stdin.trimEnd()}\nNEXUS`))].join('\n'))
    .join('\n\n');
}
