import { Flags } from '@oclif/core';
import { NexusCommand } from '../base-command';
import { runSteps } from '../services/progress';
import { DEMO_DATASET } from '../services/demo-dataset';
import { devDir } from '../services/dev-state';
import { LocalStack, type LocalStackInfo } from '../services/local-stack';
import { checked } from '../flags';

export default class Dev extends NexusCommand<void> {
  static override description = [
    'Runs the whole local stack in one command: an embedded PostgreSQL (data kept in --data-dir, so a restart keeps it; or the server in DATABASE_URL),',
    'migrations, demo data on first run (customers, categories, products and reviews), and the API with its docs. Without REDIS_URL an in-process store stands in.',
    'Prints the URLs and the demo accounts (their passwords are generated for this machine). Ctrl-C stops everything.',
    'With --json, one JSON document describing the running stack is printed once it is ready.',
    'One stack per project (its root is found upward from here, as git finds .git): a second `nexus dev` for the same data directory is refused with exit 6 and where the first runs, touching nothing.',
  ].join('\n');

  static override examples = ['<%= config.bin %> dev', '<%= config.bin %> dev --port 3000', 'DATABASE_URL=postgres://localhost/nexus <%= config.bin %> dev'];

  static override flags = {
    'data-dir': Flags.string({ description: 'Where the embedded database and generated secrets live. Default: .nexus/dev in the project root (found upward from here, as git finds .git).' }),
    host: checked('host')({ description: 'Interface the API listens on.', default: '127.0.0.1' }),
    'log-level': Flags.string({ description: 'API log level (logs go to stderr).', default: 'info', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }),
    port: Flags.integer({ description: 'API port.', env: 'PORT', default: 8000, min: 0, max: 65535 }),
    products: Flags.integer({ description: 'Demo products (in a tree of eight departments) created on first run.', default: DEMO_DATASET.products, min: 0, max: 1_000_000 }),
    seed: Flags.integer({ description: 'Faker seed of the demo data.', default: DEMO_DATASET.seed, min: 0 }),
    'skip-seed': Flags.boolean({ description: 'Do not create demo data on first run.' }),
    users: Flags.integer({ description: 'Demo customers created on first run.', default: DEMO_DATASET.users, min: 0 }),
  };

  static override summary = 'Run the API locally with a database, in one command';

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev);
    const stack = new LocalStack({
      dataDir: devDir(flags['data-dir']),
      host: flags.host,
      port: flags.port,
      users: flags.users,
      products: flags.products,
      seed: flags.seed,
      skipSeed: flags['skip-seed'],
      logLevel: flags['log-level'],
    });
    await stack.claim();
    // SIGHUP too: a closed terminal must not leave the embedded PostgreSQL running (it would take a hangup for a
    // configuration reload, and hold its data directory against the next `nexus dev`).
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, resolve);
    });
    try {
      await runSteps(stack.steps(), this.isInteractive() ? 'interactive' : 'plain');
      this.announce(stack.info());
      stack.releaseLogs();
      const signal = await stopped;
      this.note(`\n${signal}: stopping…`);
    } finally {
      // A failed start's log says why: out before the error.
      stack.releaseLogs();
      await stack.stop();
    }
    this.note('Stopped.');
  }

  private announce(info: LocalStackInfo): void {
    if (this.jsonEnabled()) {
      this.logJson({ status: 'ready', ...info });
      return;
    }
    this.log('');
    this.log('nexus dev is running');
    this.log(`  API        ${info.apiUrl}`);
    this.log(`  Docs       ${info.docsUrl}   (ReDoc: ${info.apiUrl}redoc/)`);
    this.log(`  Console    ${info.consoleUrl}   (sign in with the staff account below)`);
    this.log(`  Health     ${info.healthUrl}`);
    this.log(`  Worker     ${info.worker.queue === 'redis' ? 'deliveries queued in Redis' : 'deliveries queued in this process'}; order mail ${info.worker.mail === 'log' ? 'is written to this log' : `goes out by ${info.worker.mail}`}`);
    this.log(`  Database   ${info.database.url}${info.database.embedded ? `   (embedded, data in ${info.database.dataDir})` : ''}`);
    this.log(`  Staff      ${info.accounts.staff.email}  /  ${info.accounts.staff.password}`);
    this.log(`  Customer   ${info.accounts.customer.email}  /  ${info.accounts.customer.password}`);
    this.log('');
    this.log('Press Ctrl-C to stop.');
  }
}
