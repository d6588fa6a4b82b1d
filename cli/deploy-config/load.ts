import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ExitCode } from '../exit-codes';
import { CONFIG_FILE } from '../project-root';
import { NexusError } from '../errors';
import { monitoringProblems } from './monitoring';
import { scalingProblems } from './scaling-rules';
import { nexusFileSchema, type NexusFile, type TargetConfig } from './schema';
import { loadSecrets, requiredSecrets, type RequiredSecret, type Secret } from './secrets';

export { CONFIG_FILE } from '../project-root';

/** Everything a command needs about one target, validated, with its secrets loaded. */
export interface DeployTarget {
  name: string;
  app: NexusFile['app'];
  target: TargetConfig;
  /** The SSH private key's path with `~` expanded. */
  keyPath: string;
  secrets: Map<string, Secret>;
  /** The files read, base first. */
  files: string[];
  /** Secrets the target needs that were found nowhere (only with `allowMissingSecrets`; else an error). */
  missingSecrets: RequiredSecret[];
}

export class DeployConfigError extends NexusError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, { code: 'DEPLOY_CONFIG', exitCode: ExitCode.CONFIG, suggestions });
  }
}

/** `targets.production.hosts[0].host_key` from a zod path. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function readYaml(file: string): unknown {
  const document = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0] as { message: string; linePos?: { line: number; col: number }[] };
    const where = first.linePos?.[0] ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})` : '';
    throw new DeployConfigError(`${file}${where}: ${first.message.split('\n')[0] ?? 'invalid YAML'}`);
  }
  return document.toJS() ?? {};
}

/**
 * Deep merge of plain objects; arrays and scalars of the overlay replace the base's, and so does an object of
 * another `type` (a dns_provider of another kind shares no keys with the base's).
 */
export function merge(base: unknown, overlay: unknown): unknown {
  if (!isObject(base) || !isObject(overlay)) return overlay === undefined ? base : overlay;
  if ('type' in overlay && overlay.type !== base.type) return overlay;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) result[key] = merge(base[key], value);
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeIssues(file: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, 10).map((issue) => `  ${keyPath(issue.path) || '(top level)'}: ${issue.message}`);
  const more = issues.length > 10 ? [`  … and ${issues.length - 10} more`] : [];
  return [`${file} is not valid:`, ...lines, ...more].join('\n');
}

/**
 * Reads nexus.yml, overlays nexus.<target>.yml when present (Kamal's per-destination file), validates the
 * result and picks the target; then loads the secrets the app names. Every problem names its key path.
 */
export function loadDeployTarget(
  directory: string,
  targetName: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { secrets?: boolean; allowMissingSecrets?: boolean } = {},
): DeployTarget {
  const baseFile = join(directory, CONFIG_FILE);
  if (!existsSync(baseFile)) {
    // An absolute path: "No nexus.yml in .." (the default "." and a full stop) told nobody where nexus had looked.
    throw new DeployConfigError(`No ${CONFIG_FILE} in ${resolve(directory)} or any directory above it.`, [
      'run the command inside the project, pass --dir, or run `nexus init` to write one',
    ]);
  }
  const overlayFile = join(directory, `nexus.${targetName}.yml`);
  const files = existsSync(overlayFile) ? [baseFile, overlayFile] : [baseFile];
  const raw = files.map(readYaml).reduce(merge);
  const parsed = nexusFileSchema.safeParse(raw, { reportInput: false });
  if (!parsed.success) throw new DeployConfigError(describeIssues(files.join(' + '), parsed.error.issues), ['see the comments in the file, or docs/deploy.md']);
  const target = parsed.data.targets[targetName];
  if (!target) {
    throw new DeployConfigError(`Unknown target "${targetName}": ${CONFIG_FILE} defines ${Object.keys(parsed.data.targets).join(', ')}.`, ['pass one of them to --target']);
  }
  const scaling = scalingProblems(targetName, parsed.data.app, target);
  const exporter = monitoringProblems(targetName, target);
  if (scaling.length + exporter.length > 0) {
    const guides = [...(scaling.length > 0 ? ['docs/scaling.md: from one host to several'] : []), ...(exporter.length > 0 ? ['docs/observability.md: metrics for Prometheus, and where they may listen'] : [])];
    throw new DeployConfigError([`${files.join(' + ')} cannot work as it is:`, ...[...scaling, ...exporter].map((problem) => `  ${problem}`)].join('\n'), guides);
  }
  const needed = requiredSecrets(parsed.data.app, target);
  const { secrets, missing } = options.secrets === false ? { secrets: new Map<string, Secret>(), missing: [] } : loadSecrets(needed.map((secret) => secret.name), directory, env);
  if (missing.length > 0 && !options.allowMissingSecrets) {
    throw new DeployConfigError(`Missing secret${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`, [
      'export them in the environment (CI) or set KEY=value lines in .nexus/secrets (never in nexus.yml); `nexus init` writes a commented line for each URL to fill in',
    ]);
  }
  const keyPathExpanded = target.ssh.key.startsWith('~/') ? join(env.HOME ?? homedir(), target.ssh.key.slice(2)) : target.ssh.key;
  const missingSecrets = needed.filter((secret) => missing.includes(secret.name));
  return { name: targetName, app: parsed.data.app, target, keyPath: keyPathExpanded, secrets, files, missingSecrets };
}
