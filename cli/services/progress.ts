import { Listr, ListrLogger, ProcessOutput } from 'listr2';

export interface Step {
  title: string;
  run(): Promise<unknown>;
}

/** Runs steps in order with progress on stderr: a listr2 task list at a terminal, one line per step otherwise. */
export async function runSteps(steps: Step[], mode: 'interactive' | 'plain'): Promise<void> {
  if (mode === 'plain') {
    for (const step of steps) {
      process.stderr.write(`→ ${step.title}\n`);
      await step.run();
    }
    return;
  }
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  await new Listr(
    steps.map((step) => ({ title: step.title, task: async () => void (await step.run()) })),
    { renderer: 'default', rendererOptions: { logger: new ListrLogger({ processOutput }) }, exitOnError: true },
  ).run();
}
