import { Errors, toConfiguredId, type Hook, type Interfaces } from '@oclif/core';
import levenshtein from 'fast-levenshtein';
import { errorJson, errorLines, type ErrorReport } from '../error-report';
import { ExitCode } from '../exit-codes';

/**
 * The closest command or topic to a mistyped id, when close enough to be a likely typo: `dbb` → `db`,
 * `db migrat` → `db migrate`, `sll issue` → `ssl issue`. Far-off words get no guess rather than a silly one.
 */
export function closestCommand(id: string, argv: readonly string[], config: Interfaces.Config): string | undefined {
  const visible = config.commands.filter((command) => !command.hidden);
  const candidates = new Set([...visible.map((command) => command.id), ...visible.flatMap((command) => command.aliases), ...config.topics.filter((topic) => !topic.hidden).map((topic) => topic.name)]);
  const ranked = [...candidates].map((candidate) => ({ candidate, distance: levenshtein.get(id, candidate) })).sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  if (!best || best.distance > Math.max(2, Math.floor(id.length / 3))) return undefined;
  // A mistyped topic followed by a real command of it (`sll issue`): suggest the whole command.
  const next = argv[0];
  if (next && !next.startsWith('-') && config.findCommand(`${best.candidate}:${next}`)) return `${best.candidate}:${next}`;
  return best.candidate;
}

/**
 * The usual error line (or `--json` document) for an unknown command, with a "did you mean" in the
 * configured separator, and the usage exit code.
 */
export function unknownCommand(id: string, argv: readonly string[], config: Interfaces.Config): never {
  const guess = closestCommand(id, argv, config);
  const report: ErrorReport = {
    code: 'COMMAND_NOT_FOUND',
    message: `"${toConfiguredId(id, config)}" is not a ${config.bin} command.`,
    exitCode: ExitCode.USAGE,
    suggestions: [...(guess ? [`did you mean \`${config.bin} ${toConfiguredId(guess, config)}\`?`] : []), `run \`${config.bin} help\` for a list of commands`],
  };
  // `nexus --json` alone arrives with --json as the id.
  const json = [id, ...argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined)].includes('--json');
  if (json) process.stdout.write(`${errorJson(report)}\n`);
  else process.stderr.write(`${errorLines(report).join('\n')}\n`);
  throw new Errors.ExitError(report.exitCode);
}

/** Replaces oclif's "command not found". Nothing is run on a guess: a typo in an operations CLI must not start a deploy. */
const hook: Hook<'command_not_found'> = async function (options) {
  unknownCommand(options.id, options.argv ?? [], options.config);
};

export default hook;
