import { Listr, ListrLogger, ProcessOutput } from 'listr2';

/** What a step may tell about itself while it runs (e.g. "45,000 / 100,000 products"). */
export interface StepReporter {
  report(message: string): void;
}

export interface Step {
  title: string;
  run(reporter: StepReporter): Promise<unknown>;
}

/** In plain mode a step's reports are printed at most this often, so a CI log gets a few lines, not thousands. */
const PLAIN_REPORT_INTERVAL_MS = 2_000;

function plainReporter(): StepReporter {
  let last = Date.now();
  return {
    report(message) {
      const now = Date.now();
      if (now - last < PLAIN_REPORT_INTERVAL_MS) return;
      last = now;
      process.stderr.write(`  ${message}\n`);
    },
  };
}

/**
 * Runs steps in order with progress on stderr: a listr2 task list at a terminal (a step's latest report shown
 * under it), one line per step otherwise (plus a report line every couple of seconds for long steps).
 */
export async function runSteps(steps: Step[], mode: 'interactive' | 'plain'): Promise<void> {
  if (mode === 'plain') {
    for (const step of steps) {
      process.stderr.write(`→ ${step.title}\n`);
      await step.run(plainReporter());
    }
    return;
  }
  const processOutput = new ProcessOutput(process.stderr, process.stderr);
  await new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_context: unknown, task: { output: string }) => void (await step.run({ report: (message) => (task.output = message) })),
    })),
    { renderer: 'default', rendererOptions: { logger: new ListrLogger({ processOutput }) }, exitOnError: true },
  ).run();
}
