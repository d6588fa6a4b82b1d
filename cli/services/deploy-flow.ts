import { join, resolve } from 'node:path';
import type { DeployTarget } from '../deploy-config/load';
import type { HostConfig } from '../deploy-config/schema';
import { NexusError } from '../errors';
import type { Executor } from '../exec/executor';
import { colourPort, otherColour, type Colour } from '../remote/layout';
import { isReleaseId, releaseId, type ReleaseRecord } from '../remote/releases';
import { operatorName, withDeployLock } from './deploy-lock';
import { HealthCheckFailedError, HostDeployer, type ServingState } from './host-deployer';
import { DeployPreflight } from './deploy-preflight';
import { bringBackIfServing, rotationNote, rotationSteps } from './balancer-rotation';
import { NginxLoadBalancer } from './load-balancer';
import { snapshotOf } from './image-source';
import { buildPlan, existingImage, probeImages, type ImageDelivery } from './image-plan';
import { runSteps, type Step } from './progress';
import type { BackupManager, PreparedRestore, RestoreReport } from './backup-manager';
import type { BackupTrust } from './backup-trust';

/**
 * The data as it was on `to`'s schema: the pre-migration backup taken when the first release after `to`
 * migrated. Undefined when no release since `to` ran migrations.
 */
async function dataBackupFor(backups: BackupManager, to: string, current: string | undefined): Promise<string | undefined> {
  const candidates = (await backups.list()).filter((manifest) => manifest.kind === 'pre-migration' && manifest.before !== undefined && manifest.before > to && (current === undefined || manifest.before <= current));
  return candidates.sort((a, b) => (a.before as string).localeCompare(b.before as string))[0]?.id;
}

export interface HostOutcome {
  host: string;
  status: 'deployed' | 'failed' | 'not started' | 'already serving';
  image?: ImageDelivery;
  colour?: Colour;
  port?: number;
  previous?: string;
  backup?: { id?: string; file: string; bytes: number };
  migrations?: string[];
  /** Releases deleted beyond keep_releases, and the pre-migration backups that went with them. */
  pruned?: string[];
  prunedBackups?: string[];
  error?: string;
  /** Behind the nginx load balancer: whether the host is in its upstream when the roll ends (or stops). */
  rotation?: 'in' | 'out';
}

export interface DeployReport {
  target: string;
  release: ReleaseRecord;
  hosts: HostOutcome[];
  /** `rollback --with-data`: the restored pre-migration backup, or null when no migration ran since. */
  data?: RestoreReport | null;
}

export interface DeployOptions {
  /** A prebuilt image the hosts have (or can pull): no build. */
  image?: string;
  skipBackup: boolean;
}

interface FlowContext {
  deploy: DeployTarget;
  connect: (host: HostConfig) => Promise<Executor>;
  progress: 'interactive' | 'plain';
  note: (message: string) => void;
  /** Signs the pre-migration backups and checks the one `rollback --with-data` restores. */
  backupTrust: BackupTrust;
}


/**
 * A deploy or rollback of a whole target: under the target's deploy lock, host by host (rolling), stopping
 * at the first host that fails, whose previous release keeps serving. Each host goes through the same
 * activation: start the release (API and worker) on the idle colour, wait for the API's readiness and the
 * worker's health, switch nginx, drain and stop the old colour (its worker finishing its deliveries).
 */
export class DeployFlow {
  constructor(private readonly context: FlowContext) {}

  async deploy(options: DeployOptions): Promise<DeployReport> {
    const { deploy } = this.context;
    const context = resolve(deploy.files[0] ? join(deploy.files[0], '..') : '.', deploy.target.build.context);
    const snapshot = options.image ? { version: options.image.split(':').pop() ?? 'image', dirty: false } : await snapshotOf(context);
    if (snapshot.dirty) this.context.note(`Note: ${context} has uncommitted changes; they are not deployed (the release is commit ${snapshot.version}), and its image is built again rather than reused.`);
    const record: ReleaseRecord = {
      id: releaseId(new Date(), snapshot.version),
      version: snapshot.version,
      image: options.image ?? `${deploy.app.name}:${snapshot.version}`,
      created_at: new Date().toISOString(),
      created_by: operatorName(),
    };
    return this.underLock(`deploy ${record.id}`, async () => {
      const plan = options.image ? existingImage(record.image) : await buildPlan(deploy.target.build, context, record.image, snapshot, this.context.note);
      try {
        const balancer = await this.balancer();
        return await this.rollThrough(record, async (host, outcome, first) => {
          const preflight = new DeployPreflight(host.exec, deploy);
          let databaseChecked = true;
          return [
            {
              // Everything nexus can check before it builds or changes anything on the host.
              title: `Check ${host.exec.host}`,
              run: async () => {
                await host.check();
                if (await plan.buildsOn(host)) await preflight.registry();
                databaseChecked = await preflight.database(() => probeImages(host, deploy.target.build, record.image));
              },
            },
            {
              title: `Upload release ${record.id}`,
              // Behind the nginx load balancer, the site's scheme is the balancer's: it holds the certificate.
              run: async () => host.uploadRelease(record, balancer ? { tls: await balancer.host.hasCertificate() } : undefined),
            },
            {
              title: `Image ${record.image} (${plan.describe})`,
              run: async (reporter) => {
                outcome.image = await plan.deliver(host, reporter);
                // No image was on the host to run the check from before: the release's own, before anything starts.
                if (!databaseChecked) await preflight.databaseFromContainer(record.image);
              },
            },
            { title: 'Shared network, media volume and on-host services', run: async () => (await host.ensureSharedResources(), await host.startServices()) },
            // Once per deploy: every host of a target shares its database (one host, or an external one).
            ...(first ? [this.migrationStep(host, record, outcome, options)] : []),
          ];
        });
      } finally {
        plan.cleanup();
      }
    });
  }

  /**
   * Serves an earlier release again. With `withData`, the database goes back too: the pre-migration backup
   * of the first release after it is restored into a checked copy before anything changes, and switched in
   * once the release serves. Writes made since that backup are lost (the replaced database is kept).
   */
  async rollback(requested: string | undefined, options: { withData?: boolean } = {}): Promise<DeployReport> {
    if (requested !== undefined && !isReleaseId(requested)) throw new NexusError(`"${requested}" is not a release id (see \`nexus deploy releases\`).`, { code: 'USAGE', exitCode: 2 });
    return this.underLock(`rollback${requested ? ` to ${requested}` : ''}`, async (first) => {
      const listing = await first.releases.list();
      // By default the newest release before the current one that ever served (a failed deploy's never did).
      const id = requested ?? listing.releases.filter((release) => listing.current !== undefined && release.id < listing.current && release.served_at).pop()?.id;
      const record = listing.releases.find((release) => release.id === id);
      if (!id || !record?.image) {
        throw new NexusError(id ? `No release ${id} on ${first.exec.host}.` : `No release before the current one on ${first.exec.host}: nothing to roll back to.`, {
          code: 'NO_SUCH_RELEASE',
          suggestions: ['`nexus deploy releases --target <target>` lists what is there'],
        });
      }
      const backups = options.withData ? first.backups(this.context.backupTrust) : undefined;
      const dataBackup = backups ? await dataBackupFor(backups, id, listing.current) : undefined;
      if (backups && !dataBackup) this.context.note(`No migrations ran after ${id}: the data stays as it is.`);
      const prepared: PreparedRestore | undefined = backups && dataBackup ? await backups.prepareRestore(dataBackup) : undefined;
      const { current: _current, ...rest } = record;
      let report: DeployReport;
      try {
        report = await this.rollThrough(rest, async (host) => [
          { title: `Check ${host.exec.host}`, run: async () => void (await host.check()) },
          {
            title: `Release ${id} and its image are on ${host.exec.host}`,
            run: async () => {
              const here = await host.releases.list();
              if (!here.releases.some((release) => release.id === id)) throw new NexusError(`${host.exec.host} has no release ${id}.`, { code: 'NO_SUCH_RELEASE' });
              if (!(await host.hasImage(record.image))) throw new NexusError(`${host.exec.host} no longer has the image ${record.image}.`, { code: 'NO_SUCH_RELEASE' });
            },
          },
        ]);
      } catch (error) {
        if (backups && prepared) await backups.discard(prepared);
        throw error;
      }
      if (!options.withData) return report;
      return { ...report, data: backups && prepared ? await backups.switchTo(prepared) : null };
    });
  }

  private async underLock<T>(reason: string, work: (first: HostDeployer) => Promise<T>): Promise<T> {
    const { deploy } = this.context;
    const first = new HostDeployer(await this.context.connect(deploy.target.hosts[0] as HostConfig), deploy);
    return withDeployLock(first.exec, deploy.target, reason, (message) => this.context.note(message), () => work(first));
  }

  /** The target's nginx load balancer, connected on first use; undefined without one (or with an external one). */
  private async balancer(): Promise<NginxLoadBalancer | undefined> {
    const config = this.context.deploy.target.load_balancer;
    if (config?.type !== 'nginx') return undefined;
    this.nginxBalancer ??= new NginxLoadBalancer(await this.context.connect(config.host), this.context.deploy, config);
    return this.nginxBalancer;
  }

  private nginxBalancer: NginxLoadBalancer | undefined;

  /**
   * One host at a time; the first failure stops the roll and is thrown with every host's outcome attached.
   * Behind the nginx load balancer, each host leaves its upstream before its release changes and comes back
   * once the balancer sees it ready; a host that failed comes back only if its previous release answers.
   */
  private async rollThrough(record: ReleaseRecord, prepare: (host: HostDeployer, outcome: HostOutcome, first: boolean) => Promise<Step[]>): Promise<DeployReport> {
    const { deploy } = this.context;
    const outcomes: HostOutcome[] = deploy.target.hosts.map((host) => ({ host: host.address, status: 'not started' }));
    const balancer = await this.balancer();
    for (const [index, hostConfig] of deploy.target.hosts.entries()) {
      const outcome = outcomes[index] as HostOutcome;
      try {
        const host = new HostDeployer(await this.context.connect(hostConfig), deploy);
        const serving = await host.serving();
        if (serving?.release === record.id) {
          outcome.status = 'already serving';
          if (balancer && (await balancer.rotation()).get(hostConfig.address) === 'out') await runSteps(rotationSteps(balancer, hostConfig.address, outcome).back, this.context.progress);
          continue;
        }
        const rotation = balancer ? rotationSteps(balancer, hostConfig.address, outcome) : { out: [], back: [] };
        await runSteps([...(await prepare(host, outcome, index === 0)), ...rotation.out, ...this.activationSteps(host, record, serving, outcome, index === 0), ...rotation.back], this.context.progress);
        outcome.status = 'deployed';
      } catch (error) {
        outcome.status = 'failed';
        outcome.error = (error as Error).message;
        if (balancer && outcome.rotation === 'out') await bringBackIfServing(balancer, hostConfig.address, outcome, this.context.note);
        const rest = outcomes.slice(index + 1).map((other) => other.host);
        const suffix = `${rotationNote(outcome)}${rest.length > 0 ? `\nNot started on: ${rest.join(', ')}.` : ''}`;
        if (error instanceof NexusError) {
          throw new NexusError(`${error.message}${suffix}`, { code: error.code, exitCode: error.exitCode, suggestions: error.suggestions, details: { release: record, hosts: outcomes, cause: error.details } });
        }
        throw error;
      }
    }
    return { target: deploy.name, release: record, hosts: outcomes };
  }

  private migrationStep(host: HostDeployer, record: ReleaseRecord, outcome: HostOutcome, options: DeployOptions): Step {
    return {
      title: 'Migrations',
      run: async (reporter) => {
        // The one-off container runs as the colour about to start, on its compose.env.
        const colour = otherColour((await host.serving())?.colour);
        await host.writeComposeEnv(record, colour, colourPort(this.context.deploy.app.port, colour));
        const pending = await host.pendingMigrations(record, colour);
        outcome.migrations = pending;
        if (pending.length === 0) return reporter.report('none pending');
        if (!options.skipBackup) {
          reporter.report('backing up the database first');
          outcome.backup = await host.backupDatabase(record, this.context.backupTrust);
        }
        await host.migrate(record, colour, reporter);
      },
    };
  }

  private activationSteps(host: HostDeployer, record: ReleaseRecord, serving: ServingState | undefined, outcome: HostOutcome, first: boolean): Step[] {
    const { deploy } = this.context;
    const { worker } = deploy.target;
    const workers = worker.hosts === 'first' && !first ? 0 : worker.replicas;
    const colour = otherColour(serving?.colour);
    const port = colourPort(deploy.app.port, colour);
    Object.assign(outcome, { colour, port, previous: serving?.release });
    return [
      {
        title: `Start ${record.id} as ${colour} on 127.0.0.1:${port}`,
        run: async () => {
          await host.writeComposeEnv(record, colour, port);
          try {
            await host.startColour(record, colour, workers);
          } catch (error) {
            // Nothing of a release that failed to start keeps running: not its API, and not a worker delivering beside the serving one.
            await host.stopColour(colour).catch(() => undefined);
            throw error;
          }
        },
      },
      {
        title: `Wait for ${deploy.target.health.path} (up to ${deploy.target.health.timeout}s)`,
        run: async () => {
          const failure = await host.waitUntilReady(port);
          if (failure === undefined) return;
          const logs = await host.appLogs(record, colour);
          await host.stopColour(colour);
          throw new HealthCheckFailedError(host.exec.host, failure, logs, { target: deploy.name, previous: serving?.release });
        },
      },
      {
        // Events must keep flowing once traffic moves: a worker that never becomes healthy fails the release like its API.
        title: `Wait for the worker to be healthy (up to ${deploy.target.health.timeout}s)`,
        run: async () => {
          const failure = await host.waitForWorker(colour);
          if (failure === undefined) return;
          const logs = await host.appLogs(record, colour, 30, 'worker');
          await host.stopColour(colour);
          throw new HealthCheckFailedError(host.exec.host, failure, logs, { target: deploy.name, previous: serving?.release, service: 'worker' });
        },
      },
      {
        title: 'Switch nginx to the new release',
        run: async () => {
          try {
            await host.switchNginx(port);
          } catch (error) {
            await host.stopColour(colour);
            throw error;
          }
          await host.setServing({ release: record.id, colour, port, since: new Date().toISOString() });
          await host.releases.switchTo(record.id);
          await host.recordServed(record);
        },
      },
      ...(serving
        ? [
            {
              title: `Drain and stop ${serving.release} (${serving.colour})`,
              run: async () => {
                await host.pause(deploy.target.drain_seconds);
                await host.stopColour(serving.colour);
              },
            },
          ]
        : []),
      {
        title: 'Prune old releases',
        run: async () => {
          const pruned = await host.prune(serving ? [serving.release] : []);
          outcome.pruned = pruned.releases;
          outcome.prunedBackups = pruned.backups;
        },
      },
    ];
  }
}
