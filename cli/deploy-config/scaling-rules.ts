import type { NexusFile, TargetConfig } from './schema';

/** MEDIA_STORAGE as the API of the target will see it: the target's env over app.env, `local` by default. */
export function mediaStorage(app: NexusFile['app'], target: TargetConfig): string {
  return target.env.MEDIA_STORAGE ?? app.env.MEDIA_STORAGE ?? 'local';
}

/**
 * What cannot work once a target has several app hosts, each as `<key path>: <why> <fix>`: data that would
 * live on each host apart (its own PostgreSQL, Redis or media directory), and a load balancer on an app host.
 * One host keeps every default.
 */
export function scalingProblems(name: string, app: NexusFile['app'], target: TargetConfig): string[] {
  const problems: string[] = [];
  const at = (key: string) => `targets.${name}.${key}`;
  const lb = target.load_balancer;
  if (lb?.type === 'nginx' && target.hosts.some((host) => host.address === lb.host.address)) {
    problems.push(`${at('load_balancer.host.address')}: ${lb.host.address} is also an app host; the load balancer needs a host of its own`);
  }
  if (target.hosts.length < 2) return problems;
  const hosts = `${target.hosts.length} hosts`;
  if (target.database === 'host') {
    problems.push(`${at('database')}: \`host\` gives each of the ${hosts} its own PostgreSQL (split data); set \`database: external\` and the DATABASE_URL secret (a managed PostgreSQL)`);
  }
  if (target.redis === 'host') {
    problems.push(`${at('redis')}: \`host\` gives each of the ${hosts} its own Redis (split sessions, queues and limits); set \`redis: external\` and the REDIS_URL secret`);
  }
  if (mediaStorage(app, target) === 'local') {
    problems.push(`${at('env.MEDIA_STORAGE')}: \`local\` stores each upload on the host that took it, so the other ${target.hosts.length - 1} answer 404; set MEDIA_STORAGE: s3 with the MEDIA_S3_* settings (docs/media.md)`);
  }
  return problems;
}
