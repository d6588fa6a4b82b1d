import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnvironment, renderEnvFile, servicesEnvironment } from '../deploy-config/app-env';
import type { DeployTarget } from '../deploy-config/load';
import { NexusError } from '../errors';
import type { ExecResult, Executor } from '../exec/executor';
import { ExitCode } from '../exit-codes';
import { packageRoot } from '../package-root';
import { removeBackups } from '../remote/pg-backup';
import { BackupManager } from './backup-manager';
import type { BackupTrust } from './backup-trust';
import { targetPgConnection } from './pg-connection';
import { targetPgTools } from '../remote/pg-tools';
import { buildImage, compose, ensureSharedResources, hostCheck, imageBuildLabel, imageExists, loadImage, removeImages, stopProject, waitForHealthyProject, withDockerHost } from '../remote/docker';
import { FILE_MISSING_STATUS, filesExist, readFile, writeFile } from '../remote/files';
import { targetSite } from '../remote/nginx-site';
import { NGINX_REFUSED_STATUS, reloadNginx, switchNginxSite } from '../remote/nginx-switch';
import { pause, waitForReadiness } from '../remote/readiness';
import { HostLayout, projectName, sharedResources, type Colour } from '../remote/layout';
import type { ReleaseRecord } from '../remote/releases';
import type { RemoteCommand } from '../remote/shell';
import type { StepReporter } from './progress';
import { ReleaseStore } from './release-store';

export type ComposeFlavour = 'v1' | 'v2';

/** Which release serves on a host, on which colour and port (serving.json). */
export interface ServingState {
  release: string;
  colour: Colour;
  port: number;
  since: string;
}

/** The app's command inside its image (the image's nexus CLI). */
const IMAGE_CLI = ['node', 'bin/run.js'];

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/**
 * The steps of a deploy on one host, each one remote command (or a few) through the executor. The order and
 * the safety rules live in DeployFlow; this class knows how each step is done.
 */
export class HostDeployer {
  readonly layout: HostLayout;
  readonly releases: ReleaseStore;
  private flavour: ComposeFlavour = 'v2';

  /**
   * @param siteFor the nginx site this host serves, for the app's port and whether its certificate is there:
   * an app host's own by default (a load balancer's host renders its upstream over the app hosts instead)
   */
  constructor(
    readonly exec: Executor,
    private readonly deploy: DeployTarget,
    private readonly siteFor: (port: number, tls: boolean) => Promise<string> | string = (port, tls) => targetSite(deploy, port, { tls, host: exec.host }),
  ) {
    this.layout = HostLayout.of(deploy.target);
    this.releases = new ReleaseStore(exec, deploy.target.root);
  }

  /** Runs a command with the target's DOCKER_HOST; a non-zero exit becomes an error saying what failed. */
  async run(action: string, command: RemoteCommand, options: { stdin?: string; reporter?: StepReporter } = {}): Promise<ExecResult> {
    const withHost = withDockerHost(command, this.deploy.target.docker_host);
    const result = options.reporter
      ? await this.exec.stream(withHost, (chunk) => {
          const line = chunk.trim().split('\n').pop();
          if (line) options.reporter?.report(line.slice(0, 120));
        })
      : await this.exec.run(withHost, { stdin: options.stdin });
    if (result.code !== 0) {
      throw new NexusError(`${this.exec.host}: could not ${action}: ${lastLines(result.stderr || result.stdout, 15) || `exit ${result.code}`}`, { code: 'DEPLOY_FAILED' });
    }
    return result;
  }

  /** Docker, Compose, curl and a writable root: what a deploy needs, checked before anything changes. */
  async check(): Promise<ComposeFlavour> {
    const result = await this.exec.run(withDockerHost(hostCheck(this.deploy.target.root), this.deploy.target.docker_host));
    if (result.code !== 0) {
      throw new NexusError(`${this.exec.host} is not ready for deploys:\n  ${result.stderr.trim().split('\n').join('\n  ')}`, {
        code: 'HOST_NOT_READY',
        suggestions: ['run `nexus server provision --target <target>` first'],
      });
    }
    this.flavour = result.stdout.includes('compose v1') ? 'v1' : 'v2';
    return this.flavour;
  }

  async serving(): Promise<ServingState | undefined> {
    const result = await this.exec.run(readFile(this.layout.serving));
    if (result.code === FILE_MISSING_STATUS) return undefined;
    if (result.code !== 0) throw new NexusError(`${this.exec.host}: could not read ${this.layout.serving}: ${result.stderr.trim()}`, { code: 'DEPLOY_FAILED' });
    return JSON.parse(result.stdout) as ServingState;
  }

  async setServing(state: ServingState): Promise<void> {
    await this.run('record the serving release', writeFile(this.layout.serving, '644'), { stdin: `${JSON.stringify(state, null, 2)}\n` });
  }

  /**
   * The release directory: release.json, the compose file and the env file of the app and the worker (mode
   * 600). PUBLIC_URL in it is https when the site serves HTTPS: `site` says so when another host serves the
   * site (a load balancer), else the certificate on this host decides, as its nginx will serve it.
   */
  async uploadRelease(record: ReleaseRecord, site: { tls: boolean } | undefined = undefined): Promise<void> {
    const dir = this.layout.release(record.id);
    const composeFile = readFileSync(join(packageRoot(), 'docker-compose.prod.yml'), 'utf8');
    await this.run('write the compose file', writeFile(`${dir}/docker-compose.prod.yml`, '644'), { stdin: composeFile });
    const env = appEnvironment(this.deploy, site ?? { tls: await this.hasCertificate() });
    await this.run('write the env file', writeFile(`${dir}/.env`, '600'), { stdin: renderEnvFile(env, this.flavour) });
    await this.run('write release.json', writeFile(`${dir}/release.json`, '644'), { stdin: `${JSON.stringify(record, null, 2)}\n` });
  }

  /** Records in release.json when the release first served, so rollbacks skip releases that never did. */
  async recordServed(record: ReleaseRecord): Promise<void> {
    if (record.served_at) return;
    const served = { ...record, served_at: new Date().toISOString() };
    await this.run('update release.json', writeFile(`${this.layout.release(record.id)}/release.json`, '644'), { stdin: `${JSON.stringify(served, null, 2)}\n` });
  }

  /** compose.env: what the compose file's ${…} need, for the colour the release is about to run as. */
  async writeComposeEnv(record: ReleaseRecord, colour: Colour, port: number): Promise<void> {
    const { network, mediaVolume } = sharedResources(this.deploy.app.name);
    const env = new Map([
      ['NEXUS_IMAGE', record.image],
      ['NEXUS_APP_PORT', String(port)],
      ['NEXUS_NETWORK', network],
      ['NEXUS_MEDIA_VOLUME', mediaVolume],
      ['COMPOSE_PROJECT_NAME', projectName(this.deploy.app.name, colour)],
    ]);
    await this.run('write compose.env', writeFile(`${this.layout.release(record.id)}/compose.env`, '644'), { stdin: renderEnvFile(env, this.flavour) });
  }

  async ensureSharedResources(): Promise<void> {
    const { network, mediaVolume } = sharedResources(this.deploy.app.name);
    await this.run('create the shared network and media volume', ensureSharedResources(network, mediaVolume));
  }

  /** Uploads a build context archive and builds it on the host. */
  /** Uploads an archive into builds/ under a name made from the tag. @returns its path on the host */
  private async uploadToBuilds(localFile: string, tag: string, suffix: string): Promise<string> {
    const remote = `${this.layout.builds}/${tag.replace(/[^A-Za-z0-9._-]/g, '_')}${suffix}`;
    await this.run('create the builds directory', ['mkdir', '-p', this.layout.builds]);
    await this.exec.upload(localFile, remote);
    return remote;
  }

  async buildOnHost(contextArchive: string, tag: string, labels: Readonly<Record<string, string>>, reporter: StepReporter): Promise<void> {
    const remote = await this.uploadToBuilds(contextArchive, tag, '.tar');
    const { args, network } = this.deploy.target.build;
    await this.run(`build ${tag}`, buildImage(remote, tag, args, network, labels), { reporter });
  }

  /** The build label of an image on the host (image-source.ts buildFingerprint); undefined when it is not there. */
  async buildLabel(tag: string): Promise<string | undefined> {
    const result = await this.exec.run(withDockerHost(imageBuildLabel(tag), this.deploy.target.docker_host));
    return result.code === 0 ? result.stdout.trim() : undefined;
  }

  /** Uploads an image archive made by `docker save` and loads it. */
  async loadImage(imageArchive: string, tag: string): Promise<void> {
    await this.run(`load ${tag}`, loadImage(await this.uploadToBuilds(imageArchive, tag, '.image.tar.gz')));
  }

  async hasImage(tag: string): Promise<boolean> {
    return (await this.exec.run(withDockerHost(imageExists(tag), this.deploy.target.docker_host))).code === 0;
  }

  /** PostgreSQL and/or Redis as the `<app>-services` project, when the target runs them on the host. */
  async startServices(): Promise<void> {
    const { target, app } = this.deploy;
    const services = [...(target.database === 'host' ? ['postgres'] : []), ...(target.redis === 'host' ? ['redis', 'redis-cache'] : [])];
    if (services.length === 0) return;
    const dir = this.layout.services;
    const file = readFileSync(join(packageRoot(), 'docker-compose.services.yml'), 'utf8');
    await this.run('write the services compose file', writeFile(`${dir}/docker-compose.services.yml`, '644'), { stdin: file });
    await this.run('write services.env', writeFile(`${dir}/services.env`, '600'), { stdin: renderEnvFile(servicesEnvironment(this.deploy), this.flavour) });
    const images = [...(target.services.postgres_image ? [['POSTGRES_IMAGE', target.services.postgres_image]] : []), ...(target.services.redis_image ? [['REDIS_IMAGE', target.services.redis_image]] : [])] as [string, string][];
    await this.run('write compose.env', writeFile(`${dir}/compose.env`, '644'), { stdin: renderEnvFile(new Map([['NEXUS_NETWORK', sharedResources(app.name).network], ...images]), this.flavour) });
    const project = projectName(app.name, 'services');
    await this.run('start the services', compose(dir, project, 'docker-compose.services.yml', 'compose.env', ['up', '-d', ...services]));
    await this.run('wait for the services to be healthy', waitForHealthyProject(project, 120));
  }

  /** Runs the image's own CLI in a one-off container of the release (no ports, same network and env). */
  private releaseCli(record: ReleaseRecord, colour: Colour, args: string[]): RemoteCommand {
    return compose(this.layout.release(record.id), projectName(this.deploy.app.name, colour), 'docker-compose.prod.yml', 'compose.env', ['run', '--rm', '--no-deps', '-T', 'app', ...IMAGE_CLI, ...args]);
  }

  /** @returns the pending migrations' names */
  async pendingMigrations(record: ReleaseRecord, colour: Colour): Promise<string[]> {
    const result = await this.run('read the migration status', this.releaseCli(record, colour, ['db', 'status', '--json']));
    const json = result.stdout.slice(result.stdout.indexOf('{'));
    return (JSON.parse(json) as { pending: string[] }).pending;
  }

  /**
   * A backup before migrating, with its signed manifest (restorable by `nexus db restore` and `nexus deploy
   * rollback --with-data`), of the external database or the on-host service alike.
   * @returns its id, path and size
   */
  async backupDatabase(record: ReleaseRecord, trust: BackupTrust): Promise<{ id?: string; file: string; bytes: number }> {
    const manifest = await this.backups(trust).backup('pre-migration', (await this.serving())?.release ?? null, record.id);
    return { id: manifest.id, file: `${this.layout.backups}/${manifest.dump.file}`, bytes: manifest.dump.bytes };
  }

  /** The backups of the target's database kept on this host; `trust` signs and checks them (none: list and remove only). */
  backups(trust?: BackupTrust): BackupManager {
    return new BackupManager({ exec: this.exec, dir: this.layout.backups, tools: targetPgTools(this.deploy) }, targetPgConnection(this.deploy), trust);
  }

  async migrate(record: ReleaseRecord, colour: Colour, reporter: StepReporter): Promise<void> {
    await this.run('run the migrations', this.releaseCli(record, colour, ['db', 'migrate']), { reporter });
  }

  /** The last lines a service (the app, the worker) of a colour logged, for a failure report. */
  async appLogs(record: ReleaseRecord, colour: Colour, lines = 30, service: 'app' | 'worker' = 'app'): Promise<string> {
    const command = compose(this.layout.release(record.id), projectName(this.deploy.app.name, colour), 'docker-compose.prod.yml', 'compose.env', ['logs', '--no-color', '--tail', String(lines), service]);
    const result = await this.exec.run(withDockerHost(command, this.deploy.target.docker_host));
    return lastLines(`${result.stdout}${result.stderr}`, lines);
  }

  /**
   * Starts a release as a colour's compose project (replacing whatever that colour ran before): every service
   * of the release's compose file, the app and the worker (`workers` copies: worker.replicas, or none on a
   * host that runs no worker); a release whose compose file predates the worker starts the app alone.
   */
  async startColour(record: ReleaseRecord, colour: Colour, replicas = this.deploy.target.worker.replicas): Promise<void> {
    const project = projectName(this.deploy.app.name, colour);
    await this.stopColour(colour);
    const scale = replicas === 1 ? [] : ['--scale', `worker=${replicas}`];
    await this.run(`start ${colour}`, compose(this.layout.release(record.id), project, 'docker-compose.prod.yml', 'compose.env', ['up', '-d', '--no-deps', ...scale]));
  }

  /**
   * Stops a colour: docker stop's SIGTERM lets the API finish its requests and the worker its deliveries, each
   * within its stop_grace_period (30 s for a container without one).
   */
  async stopColour(colour: Colour): Promise<void> {
    await this.run(`stop ${colour}`, stopProject(projectName(this.deploy.app.name, colour), 30));
  }

  /**
   * Waits for the colour's worker containers to report healthy (their heartbeat file is fresh), up to the
   * target's health timeout. @returns undefined when healthy or when the release has no worker, else what
   * Docker reports: each failing container's state, last health checks and log lines
   */
  async waitForWorker(colour: Colour): Promise<string | undefined> {
    const command = withDockerHost(waitForHealthyProject(projectName(this.deploy.app.name, colour), this.deploy.target.health.timeout, 'worker'), this.deploy.target.docker_host);
    const result = await this.exec.run(command);
    if (result.code === 0) return undefined;
    return lastLines(result.stderr || result.stdout, 20) || `exit ${result.code}`;
  }

  /** Asks the readiness endpoint on a loopback port until it answers 2xx or `timeout` seconds pass (0: once). @returns undefined when ready, else the last answer */
  async waitUntilReady(port: number, timeout = this.deploy.target.health.timeout): Promise<string | undefined> {
    const { path } = this.deploy.target.health;
    const result = await this.exec.run(waitForReadiness(`http://127.0.0.1:${port}${path}`, timeout));
    return result.code === 0 ? undefined : (result.stdout || result.stderr).trim() || `exit ${result.code}`;
  }

  /** Whether the site's certificate (and key) are on the host: nginx serves HTTPS then. */
  async hasCertificate(): Promise<boolean> {
    const certificate = this.layout.certificates(this.deploy.target.domains[0] as string);
    return (await this.exec.run(filesExist([certificate.fullchain, certificate.key]))).code === 0;
  }

  /** Points nginx at a port: the site is rendered (with TLS when the certificate is on the host), tested, reloaded. */
  async switchNginx(port: number): Promise<void> {
    await this.installSite(await this.siteFor(port, await this.hasCertificate()));
  }

  /** Installs an nginx site (tested with `nginx -t` first; the previous one stays when refused) and reloads nginx. */
  async installSite(site: string): Promise<void> {
    const result = await this.exec.run(switchNginxSite(this.layout.site, this.deploy.target.nginx.command), { stdin: site });
    if (result.code === NGINX_REFUSED_STATUS) {
      throw new NexusError(`${this.exec.host}: nginx refused the new site (the previous one is still in place):\n${lastLines(result.stderr, 10)}`, { code: 'NGINX_REFUSED' });
    }
    if (result.code !== 0) throw new NexusError(`${this.exec.host}: could not switch nginx: ${lastLines(result.stderr || result.stdout, 10) || `exit ${result.code}`}`, { code: 'DEPLOY_FAILED' });
  }

  /** Tests and reloads nginx as configured (certificate files replaced in place); the site file is not touched. */
  async reloadNginx(): Promise<void> {
    const result = await this.exec.run(reloadNginx(this.deploy.target.nginx.command));
    if (result.code === NGINX_REFUSED_STATUS) throw new NexusError(`${this.exec.host}: nginx refused its configuration with the new certificate:\n${lastLines(result.stderr, 10)}`, { code: 'NGINX_REFUSED' });
    if (result.code !== 0) throw new NexusError(`${this.exec.host}: could not reload nginx: ${lastLines(result.stderr || result.stdout, 10) || `exit ${result.code}`}`, { code: 'DEPLOY_FAILED' });
  }

  async pause(seconds: number): Promise<void> {
    if (seconds > 0) await this.exec.run(pause(seconds));
  }

  /**
   * Deletes releases beyond keep_releases (never the serving one or `protect`), the images only they used and
   * their pre-migration backups. @returns the deleted release and backup ids
   */
  async prune(protect: readonly string[]): Promise<{ releases: string[]; backups: string[] }> {
    const before = await this.releases.list();
    const deleted = await this.releases.prune(this.deploy.target.keep_releases, protect);
    const kept = new Set(before.releases.filter((release) => !deleted.includes(release.id)).map((release) => release.image));
    const unused = [...new Set(before.releases.filter((release) => deleted.includes(release.id) && release.image && !kept.has(release.image)).map((release) => release.image))];
    if (unused.length > 0) await this.run('remove unused images', removeImages(unused));
    const backups = deleted.length > 0 ? await this.removeReleaseBackups(deleted) : [];
    return { releases: deleted, backups };
  }

  /**
   * The pre-migration backups of deleted releases; for an on-host database also the plain dumps
   * (`pre-migration-<release>.dump`, without a manifest) that nexus made before it backed that up too.
   */
  private async removeReleaseBackups(releases: readonly string[]): Promise<string[]> {
    const removed = await this.backups().removeReleaseBackups(releases);
    if (this.deploy.target.database !== 'host') return removed;
    const legacy: string[] = [];
    for (const release of releases) {
      if ((await this.exec.run(filesExist([`${this.layout.backups}/pre-migration-${release}.dump`]))).code === 0) legacy.push(`pre-migration-${release}`);
    }
    if (legacy.length > 0) await this.run('remove the backups of deleted releases', removeBackups(this.layout.backups, legacy));
    return [...removed, ...legacy];
  }
}

/**
 * The new release did not become ready (its API failed its readiness check, or its worker never became
 * healthy), and was stopped (its containers removed): what serves now is the previous release, or nothing at
 * all when this was the host's first one; the message says which.
 */
export class HealthCheckFailedError extends NexusError {
  constructor(host: string, answer: string, logs: string, situation: { target: string; previous?: string; service?: 'app' | 'worker' }) {
    const { target, previous, service = 'app' } = situation;
    const serving = previous ? `the previous release is still serving (${previous})` : 'nothing is serving on this host: it was its first release';
    const removed = `the failed release's containers were removed: its ${service === 'worker' ? "worker's " : ''}last log lines are above`;
    const [what, answered] = service === 'worker' ? ["the new release's worker did not become healthy", 'Worker containers:\n'] : ['the new release did not become ready', 'Last answer: '];
    super(`${host}: ${what}; ${serving}.\n${answered}${answer || '(none)'}\nLast log lines:\n${logs || '(no output)'}`, {
      code: 'HEALTH_CHECK_FAILED',
      exitCode: ExitCode.HEALTH_CHECK_FAILED,
      details: { host, service, answer, logs: logs.split('\n'), previous: previous ?? null },
      suggestions: [
        previous ? `${removed}; \`nexus logs ${service} --target ${target}\` shows ${previous}, which still serves` : `${removed} (\`nexus logs ${service}\` has none to show); the site has no app until a deploy succeeds`,
        `fix the cause, then \`nexus deploy --target ${target}\``,
      ],
    });
  }
}
