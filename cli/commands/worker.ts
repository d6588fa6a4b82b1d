import { NexusCommand } from '../base-command';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';

export default class Worker extends NexusCommand<void> {
  static override summary = 'Run the delivery worker: relays events to webhooks and sends order mail';

  static override description =
    'Reads committed events from the outbox, queues them (in Redis through BullMQ; in this process when REDIS_URL is unset, development only) and delivers them: signed webhooks with retries, and the customers\' order mail. Settings come from the environment, as for the API (docs/configuration.md). Safe to run as several copies. Runs until SIGTERM or Ctrl-C, then finishes the deliveries in flight and exits 0. With --json it prints one line when ready ({"status":"ready",…}) on stdout and logs to stderr.';

  static override examples = ['DATABASE_URL=postgres://… REDIS_URL=redis://… <%= config.bin %> worker', '<%= config.bin %> worker --json'];

  async run(): Promise<void> {
    await this.parse(Worker);
    const { ConfigError, loadConfig } = await import('../../api/config/index.js');
    let config;
    try {
      config = loadConfig(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new NexusError(error.message, { code: 'CONFIG_INVALID', exitCode: ExitCode.CONFIG, suggestions: ['set the variables named above (docs/configuration.md)'] });
    }
    const { runWorker } = await import('../../api/worker.js');
    await runWorker(config, { json: this.jsonEnabled() });
    // Runs until a signal; runWorker exits the process then.
    await new Promise(() => undefined);
  }
}
