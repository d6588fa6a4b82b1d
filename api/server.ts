import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, type Config } from './config';
import pino from 'pino';
import { listenForScrapes } from './http/metrics-endpoint';
import { createLogger, logFormatFor, type Logger } from './infra/logger';
import { createRuntime, type Runtime } from './runtime';

export interface RunningServer {
  server: Server;
  runtime: Runtime;
  url: string;
  /** The METRICS_PORT listener's URL, when there is one. */
  metricsUrl?: string;
  /** Stops accepting connections, lets in-flight requests finish (bounded), then closes the pool and Redis. */
  stop(): Promise<void>;
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const runtime = createRuntime(config, logger);
  const server = createServer(runtime.handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => resolve());
  });
  const { port: metricsPort, host: metricsHost, token } = config.metrics;
  const scrapes = metricsPort === undefined ? undefined : await listenForScrapes(runtime.metrics, { port: metricsPort, host: metricsHost, token });
  runtime.expirySweeper.start();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      scrapes?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.server.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await runtime.close();
    })();
    return stopping;
  };
  return { server, runtime, url: urlOf(server.address() as AddressInfo), metricsUrl: scrapes && `${urlOf(scrapes.address() as AddressInfo)}/metrics`, stop };
}

/** `npm start`: settings from the environment, never migrates or seeds, stops cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`nexus-api: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Asynchronous stdout: log writes never block request handling; flushed on shutdown.
  const format = logFormatFor(config.log.format, { tty: process.stdout.isTTY, production: config.isProduction });
  const logger = createLogger({ level: config.log.level, format }, format === 'json' ? pino.destination({ dest: 1, sync: false }) : undefined);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    logger.flush(() => process.exit(1));
  });
  const running = await startServer(config, logger);
  logger.info({ url: running.url, metrics: running.metricsUrl, env: config.env, version: config.version }, 'nexus API listening');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => logger.flush(() => process.exit(0)),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush(() => process.exit(1));
        },
      );
    });
  }
}

if (require.main === module) void main();
