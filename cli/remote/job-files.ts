import { stringify } from 'yaml';
import type { DeployTarget } from '../deploy-config/load';
import { jobMetrics } from './job-metrics';
import { HostLayout } from './layout';
import { quote } from './shell';

/** Where a job's files are mounted in the container that runs nexus. */
const MOUNT = '/nexus';

/**
 * The files of a scheduled job, in <root>/jobs/<name> on the target's first host; the gate of its key and the
 * gate's allow-list are there on every host of the target.
 */
export interface JobFiles {
  dir: string;
  key: string;
  config: string;
  secrets: string;
  caBundle: string;
  script: string;
  log: string;
  gate: string;
  allowList: string;
}

export function jobFiles(dir: string): JobFiles {
  return {
    dir,
    key: `${dir}/id_ed25519`,
    config: `${dir}/nexus.yml`,
    secrets: `${dir}/secrets`,
    caBundle: `${dir}/ca.pem`,
    script: `${dir}/run.sh`,
    log: `${dir}/job.log`,
    gate: `${dir}/gate.sh`,
    allowList: `${dir}/allowed-calls`,
  };
}

/**
 * The target as a job sees it: the first host reached over loopback (it is the machine the job runs on),
 * the others as configured; the job's key instead of the operator's, which only passes the job's gate.
 */
export function jobConfig(deploy: DeployTarget): string {
  const [first, ...others] = deploy.target.hosts;
  const target = {
    ...deploy.target,
    hosts: [{ ...first, address: '127.0.0.1' }, ...others],
    ssh: { ...deploy.target.ssh, key: `${MOUNT}/id_ed25519`, gated: true },
  };
  const header = `# Written by nexus for the host's scheduled jobs; rewritten on every install.\n`;
  return header + stringify({ app: { ...deploy.app, secrets: [] }, targets: { [deploy.name]: target } });
}

/**
 * The script cron runs: a nexus command from the image that serves (so the logic is always the deployed
 * release's), in a throwaway container on the host's network, as the login running the job, with the job's
 * directory mounted read-only. Its last outcome goes to last-run.json, for the status commands.
 */
export function jobScript(
  deploy: DeployTarget,
  dir: string,
  options: { args: readonly string[]; caBundle: boolean; name: string; certificate?: { domain: string; fullchain: string } },
): string {
  const files = jobFiles(dir);
  const dockerHost = deploy.target.docker_host ? `export DOCKER_HOST=${quote(deploy.target.docker_host)}\n` : '';
  const caBundle = options.caBundle ? ` -e NODE_EXTRA_CA_CERTS=${MOUNT}/ca.pem` : '';
  const command = [...options.args, '--target', deploy.name, '--dir', MOUNT].map(quote).join(' ');
  return `#!/bin/sh
# nexus: \`nexus ${options.args.join(' ')}\` for ${deploy.app.name} (${deploy.name}), run by cron as the deploy user.
# It runs nexus from the serving release's image, which connects back over SSH with the key beside this file.
set -u
dir=${quote(dir)}
${dockerHost}started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== $started nexus ${options.args.join(' ')} --target ${deploy.name}"
image=$(sed -n 's/.*"image": *"\\([^"]*\\)".*/\\1/p' ${quote(`${deploy.target.root}/current/release.json`)} 2>/dev/null | head -n 1)
if [ -z "$image" ]; then
  echo "nothing is deployed on this host yet: the job runs nexus from the serving release's image" >&2
  status=4
else
  docker run --rm --network host --user "$(id -u):$(id -g)" -e HOME=/tmp -e SHELL=/bin/sh \\
    -e "NEXUS_OPERATOR=scheduled-job@$(hostname)"${caBundle} --env-file "$dir/secrets" -v "$dir:${MOUNT}:ro" \\
    "$image" node bin/run.js ${command}
  status=$?
fi
printf '{"at":"%s","exit":%d,"image":"%s"}\\n' "$started" "$status" "$image" > "$dir/last-run.json.tmp" && mv -f "$dir/last-run.json.tmp" "$dir/last-run.json"
${jobMetrics(HostLayout.of(deploy.target).metrics, { app: deploy.app.name, target: deploy.name, job: options.name }, options.certificate)}
# The log keeps its last 2,000 lines.
if [ -f ${quote(files.log)} ] && [ "$(wc -l < ${quote(files.log)})" -gt 4000 ]; then
  tail -n 2000 ${quote(files.log)} > ${quote(`${files.log}.tmp`)} && mv -f ${quote(`${files.log}.tmp`)} ${quote(files.log)}
fi
exit "$status"
`;
}

/** The crontab entry: daily at a fixed time, the job's output appended to its log. */
export function cronLine(dir: string, at: { hour: number; minute: number }, marker: string): string {
  const files = jobFiles(dir);
  return `${at.minute} ${at.hour} * * * sh ${quote(files.script)} >> ${quote(files.log)} 2>&1 # ${marker}`;
}
