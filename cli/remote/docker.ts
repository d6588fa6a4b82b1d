import { script, type RemoteCommand } from './shell';

/**
 * A shell function, `compose`, that runs the Compose flavour the host has: the v2 plugin (`docker compose`)
 * when present, else the v1 `docker-compose`. Scripts include it and call `compose -p … -f … <command>`.
 */
export const COMPOSE_FUNCTION = `compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; return; fi
  if command -v docker-compose >/dev/null 2>&1; then docker-compose "$@"; return; fi
  echo "neither the docker compose plugin nor docker-compose is installed (run nexus server provision)" >&2
  return 127
}`;

/** Runs a command with DOCKER_HOST set, when the target names a daemon other than the default. */
export function withDockerHost(command: RemoteCommand, dockerHost: string | undefined): RemoteCommand {
  return dockerHost ? ['env', `DOCKER_HOST=${dockerHost}`, ...command] : command;
}

/**
 * What a deploy needs on the host, checked before anything changes: prints `compose v1` or `compose v2`,
 * and fails with one line per missing piece.
 */
export function hostCheck(root: string): RemoteCommand {
  return script(
    'nexus-host-check',
    `missing=0
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { echo "cannot reach the Docker daemon as $(id -un): $(docker version 2>&1 | tail -n 1)" >&2; missing=1; }
if docker compose version >/dev/null 2>&1; then echo "compose v2"; elif command -v docker-compose >/dev/null 2>&1; then echo "compose v1"; else echo "no docker compose plugin and no docker-compose" >&2; missing=1; fi
command -v curl >/dev/null 2>&1 || { echo "curl is not installed" >&2; missing=1; }
# Checked, not created: a host that is not ready is left exactly as it was.
if [ -e "$1" ]; then [ -d "$1" ] && [ -w "$1" ]; else [ -w "$(dirname "$1")" ]; fi || { echo "$1 is not writable by $(id -un)" >&2; missing=1; }
exit $missing`,
    root,
  );
}

/** `docker compose -p <project> -f <file> --env-file <env> <args>` in `dir`, whichever flavour the host has. */
export function compose(dir: string, project: string, file: string, envFile: string, args: readonly string[]): RemoteCommand {
  return script('nexus-compose', `${COMPOSE_FUNCTION}\ncd "$1" || exit 3\nproject=$2 file=$3 envfile=$4; shift 4\ncompose -p "$project" -f "$file" --env-file "$envfile" "$@"`, dir, project, file, envFile, ...args);
}

/** The shared network and media volume, created when missing (re-running changes nothing). */
export function ensureSharedResources(network: string, mediaVolume: string): RemoteCommand {
  return script(
    'nexus-shared-resources',
    'docker network inspect "$1" >/dev/null 2>&1 || docker network create "$1" >/dev/null || exit 1\ndocker volume inspect "$2" >/dev/null 2>&1 || docker volume create "$2" >/dev/null',
    network,
    mediaVolume,
  );
}

/**
 * The label a deploy's build puts on its image: what was built (commit and build arguments), so that a later
 * deploy can tell that the image under the commit's tag is the one it would build (see image-source.ts).
 */
export const BUILD_LABEL = 'nexus.build';

/** `docker build` flags: build arguments, the network and labels. */
export function buildFlags(args: Readonly<Record<string, string>>, network: string | undefined, labels: Readonly<Record<string, string>> = {}): string[] {
  return [
    ...Object.entries(args).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    ...(network ? ['--network', network] : []),
    ...Object.entries(labels).flatMap(([name, value]) => ['--label', `${name}=${value}`]),
  ];
}

/** Builds an image from a context archive on the host (`docker build - < archive`), then deletes the archive. */
export function buildImage(archive: string, tag: string, args: Readonly<Record<string, string>>, network?: string, labels: Readonly<Record<string, string>> = {}): RemoteCommand {
  const flags = buildFlags(args, network, labels);
  return script('nexus-build', 'archive=$1 tag=$2; shift 2\ndocker build -t "$tag" "$@" - < "$archive"; status=$?\nrm -f "$archive"\nexit $status', archive, tag, ...flags);
}

/** Loads an image archive made by `docker save` (gzip or plain), then deletes it. */
export function loadImage(archive: string): RemoteCommand {
  return script('nexus-load', 'docker load -i "$1"; status=$?; rm -f "$1"; exit $status', archive);
}

/** Prints an image's build label (empty when it has none); exits non-zero when the image is not there. */
export function imageBuildLabel(tag: string): RemoteCommand {
  return ['docker', 'image', 'inspect', '--format', `{{ index .Config.Labels "${BUILD_LABEL}" }}`, tag];
}

/** Exits 0 when the image is on the host. */
export function imageExists(tag: string): RemoteCommand {
  return ['docker', 'image', 'inspect', '--format', '{{.Id}}', tag];
}

/** Deletes images no kept release uses; an image still in use by a container is left (and says so). */
export function removeImages(tags: readonly string[]): RemoteCommand {
  return script('nexus-remove-images', 'for tag in "$@"; do docker image rm "$tag" >/dev/null 2>&1 || echo "kept $tag (in use)"; done; exit 0', ...tags);
}

/**
 * Stops and removes a compose project's containers by label, so it works whichever Compose flavour started
 * them and even when the release directory is gone. `docker stop` sends SIGTERM and waits, all containers at
 * once, each for its own stop_grace_period from the compose file (Compose records it on the container), else
 * `grace` seconds: the API finishes its in-flight requests, the worker its deliveries.
 */
export function stopProject(project: string, graceSeconds: number): RemoteCommand {
  return script(
    'nexus-stop-project',
    `ids=$(docker ps -aq --filter "label=com.docker.compose.project=$1") || exit 1
[ -z "$ids" ] && exit 0
pids=''
for id in $ids; do
  grace=$(docker inspect --format '{{with .Config.StopTimeout}}{{.}}{{end}}' "$id") || grace=''
  docker stop -t "\${grace:-$2}" "$id" >/dev/null & pids="$pids $!"
done
status=0
for pid in $pids; do wait "$pid" || status=1; done
[ "$status" = 0 ] && docker rm $ids >/dev/null`,
    project,
    String(graceSeconds),
  );
}

/** What waitForHealthyProject prints on stdout when asked for one service the project does not run. */
export const NO_SUCH_SERVICE = 'no such service';

/**
 * Waits until every container of a compose project (or of one of its services) that has a healthcheck
 * reports healthy, and those without one run. A service the project has no container of (a release whose
 * compose file predates it) is not waited for: the command prints NO_SUCH_SERVICE and exits 0. On timeout it
 * prints, on stderr, each failing container's state, its last health checks and its last log lines.
 */
export function waitForHealthyProject(project: string, timeoutSeconds: number, service?: string): RemoteCommand {
  return script(
    'nexus-wait-healthy',
    `end=$(( $(date +%s) + $2 ))
containers() {
  if [ -n "$3" ]; then docker ps -aq --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=$3"
  else docker ps -aq --filter "label=com.docker.compose.project=$1"; fi
}
if [ -n "$3" ] && [ -z "$(containers "$@")" ]; then echo "${NO_SUCH_SERVICE}"; exit 0; fi
while :; do
  states=$(containers "$@" | xargs -r docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}')
  echo "$states" | grep -qvE ' (healthy|running)$' || { [ -n "$states" ] && exit 0; }
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "$states" >&2
    # What the operator needs next: each failing container's last health check and last log lines.
    for id in $(containers "$@"); do
      name=$(docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
      case $name in *' healthy' | *' running') continue ;; esac
      name=\${name% *}
      docker inspect --format '{{with .State.Health}}{{range .Log}}health check (exit {{.ExitCode}}): {{.Output}}{{"\\n"}}{{end}}{{end}}' "$id" | grep -v '^$' | tail -n 2 | sed "s|^|$name: |" >&2
      docker logs --tail 10 "$id" 2>&1 | sed "s|^|$name: |" >&2
    done
    exit 1
  fi
  sleep 2
done`,
    project,
    String(timeoutSeconds),
    service ?? '',
  );
}
