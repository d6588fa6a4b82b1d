import { Help, type Command } from '@oclif/core';
import { unknownCommand } from './hooks/command-not-found';

/** `deploy releases` → `deploy:releases`: oclif rewrites ids to the configured separator while formatting. */
const canonical = (id: string) => id.replaceAll(' ', ':');

/**
 * oclif's help with two changes: a command that also heads a topic (`deploy`, `db backup`) is listed once,
 * under TOPICS with the topic's own description, instead of under both TOPICS and COMMANDS (its help page,
 * `nexus deploy --help`, shows the command and below it the commands of its topic); and help for an
 * unknown command says what an unknown command says, "did you mean" included.
 */
export default class NexusHelp extends Help {
  protected override formatCommands(commands: Command.Loadable[]): string {
    // From config.topics (which lists commands too) rather than sortedTopics: formatTopics renames topics in place.
    const names = this.config.topics.map((topic) => canonical(topic.name));
    const heads = new Set(names.filter((name) => names.some((other) => other.startsWith(`${name}:`))));
    return super.formatCommands(commands.filter((command) => !heads.has(canonical(command.id))));
  }

  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv);
    } catch (error) {
      const missing = /^Command (\S+) not found\.$/.exec((error as Error).message);
      if (!missing?.[1]) throw error;
      unknownCommand(missing[1], [], this.config);
    }
  }
}
