import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@oclif/test';
import { runNexus } from '../../support/cli';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
interface TopicSpec {
  description: string;
  subtopics?: Record<string, TopicSpec>;
}
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; oclif: { topics: Record<string, TopicSpec> } };

/** package.json's topic descriptions by id (`db:backup`), subtopics included. */
const topicDescriptions = new Map<string, string>();
const collect = (topics: Record<string, TopicSpec>, prefix: string) => {
  for (const [name, spec] of Object.entries(topics)) {
    topicDescriptions.set(`${prefix}${name}`, spec.description);
    collect(spec.subtopics ?? {}, `${prefix}${name}:`);
  }
};
collect(pjson.oclif.topics, '');

/** The `NAME  description` entries of one section (TOPICS, COMMANDS) of a help page, wrapped lines joined. */
function section(help: string, title: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = help.split('\n');
  let last: string | undefined;
  for (const line of lines.slice(lines.indexOf(title) + 1)) {
    if (lines.indexOf(title) < 0 || (line !== '' && !line.startsWith(' '))) break;
    const entry = /^ {2}(\S+(?: \S+)*?)(?: {2,}(.*))?$/.exec(line);
    if (entry?.[1]) {
      last = entry[1];
      entries.set(last, entry[2] ?? '');
    } else if (last && line.trim()) {
      entries.set(last, `${entries.get(last)} ${line.trim()}`);
    }
  }
  return entries;
}

async function help(argv: string[]): Promise<string> {
  const { stdout, error } = await runCommand(argv, { root });
  if (error) throw error;
  return stdout;
}

describe('help, topics and commands', () => {
  const commandIds = Object.keys(manifest.commands);
  const topicIds = [...new Set(commandIds.flatMap((id) => id.split(':').slice(0, -1).map((_, index, parts) => parts.slice(0, index + 1).join(':'))))];

  it('every topic has its own description in package.json', () => {
    expect(topicIds.filter((id) => !topicDescriptions.has(id))).toEqual([]);
  });

  it.each([[[]], [['db']], [['deploy']]])('nexus %j --help: each topic shows its own description, and nothing is listed as both a topic and a command', async (argv) => {
    const page = await help([...argv, '--help']);
    const topics = section(page, 'TOPICS');
    const commands = section(page, 'COMMANDS');
    expect(topics.size + commands.size).toBeGreaterThan(0);
    for (const [name, description] of topics) expect([name, description]).toEqual([name, topicDescriptions.get(name.replaceAll(' ', ':'))]);
    expect([...topics.keys()].filter((name) => commands.has(name))).toEqual([]);
  });

  it('the root help lists ssl, server, dns and deploy as topics with their own text, and deploy once', async () => {
    const page = await help(['--help']);
    expect(section(page, 'TOPICS').get('ssl')).toBe(topicDescriptions.get('ssl'));
    expect(section(page, 'TOPICS').get('ssl')).not.toMatch(/renewal \(cron\)|install/i);
    expect([...section(page, 'TOPICS').keys()]).toEqual(expect.arrayContaining(['server', 'dns', 'deploy']));
    expect(section(page, 'COMMANDS').has('deploy')).toBe(false);
    expect([...section(page, 'COMMANDS').keys()]).toEqual(expect.arrayContaining(['autocomplete', 'version', 'health', 'init']));
  });

  it('-h is --help for every command and topic', async () => {
    for (const id of [...commandIds, ...topicIds]) {
      const words = id.split(':');
      const page = await help([...words, '-h']);
      expect({ id, usage: page.includes(`$ nexus ${words.join(' ')}`) }).toEqual({ id, usage: true });
    }
  });
});

describe('unknown commands, version, completion (the built bin, as a shell runs it)', () => {
  it('a typo gets "did you mean" with spaces, one error line and exit 2', async () => {
    const result = await runNexus(['db', 'migrat']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'Error (COMMAND_NOT_FOUND): "db migrat" is not a nexus command.',
      '  → did you mean `nexus db migrate`?',
      '  → run `nexus help` for a list of commands',
    ]);
  });

  it('with --json, the usual error document on stdout', async () => {
    const result = await runNexus(['sll', 'issue', '--json']);
    expect(result.code).toBe(2);
    expect(result.json()).toEqual({
      error: {
        code: 'COMMAND_NOT_FOUND',
        message: '"sll issue" is not a nexus command.',
        exitCode: 2,
        suggestions: ['did you mean `nexus ssl issue`?', 'run `nexus help` for a list of commands'],
      },
    });
  });

  it('far from any command, no guess; help for a typo says the same as the typo', async () => {
    const far = await runNexus(['frobnicate']);
    expect(far.code).toBe(2);
    expect(far.stderr).not.toContain('did you mean');
    const viaHelp = await runNexus(['help', 'dbb']);
    expect(viaHelp.code).toBe(2);
    expect(viaHelp.stderr).toContain('did you mean `nexus db`?');
  });

  it('nexus version (also --json) and --version', async () => {
    const version = await runNexus(['version', '--json']);
    expect(version.code).toBe(0);
    expect(version.json()).toMatchObject({ cliVersion: `nexus/${pjson.version}`, nodeVersion: `node-${process.version}` });
    expect((await runNexus(['--version'])).stdout).toMatch(new RegExp(`^nexus/${pjson.version.replaceAll('.', '\\.')} `));
  });

  it('nexus autocomplete bash builds a completion that completes commands (space separated) and flags', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'nexus-completion-'));
    try {
      const setup = await runNexus(['autocomplete', 'bash'], { env: { XDG_CACHE_HOME: cache } });
      expect(setup.code).toBe(0);
      const complete = (line: string) =>
        execFileSync('bash', ['-c', 'source "$1"; read -ra COMP_WORDS <<< "$2"; [[ "$2" == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$2"; _nexus_autocomplete; printf "%s\\n" "${COMPREPLY[@]}"', 'complete', join(cache, 'nexus', 'autocomplete', 'functions', 'bash', 'nexus.bash'), line], { encoding: 'utf8' })
          .trim()
          .split('\n');
      expect(complete('nexus db mi')).toEqual(['migrate']);
      expect(complete('nexus ssl ')).toEqual(['install-timer', 'issue', 'renew', 'revoke', 'status']);
      expect(complete('nexus health --wa')).toEqual(['--watch']);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
