import { script, type RemoteCommand } from './shell';

/** Exit statuses of scrapeAppMetrics, each a different reason there is nothing to read. */
export const METRICS_STATUS = { noContainer: 3, noToken: 5, failed: 6 } as const;

/**
 * Run by node inside the app container: the API's own /metrics on its own port (PORT, 8000 in the compose
 * file), with the bearer token from the container's environment, so that the token never leaves the container.
 * Prints the container's clock (seconds since the epoch) on the first line, then the scrape.
 */
export const SCRAPE_SCRIPT = `const token = process.env.METRICS_TOKEN;
if (!token) { console.error('METRICS_TOKEN is not set in the app container (a release deployed before it was added?)'); process.exit(${METRICS_STATUS.noToken}); }
fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/metrics', { headers: { authorization: 'Bearer ' + token }, signal: AbortSignal.timeout(5000) })
  .then(async (response) => {
    const body = await response.text();
    if (!response.ok) { console.error('GET /metrics answered HTTP ' + response.status + ': ' + body.slice(0, 200).trim()); process.exit(${METRICS_STATUS.failed}); }
    process.stdout.write(Date.now() / 1000 + '\\n' + body);
  })
  .catch((error) => { console.error('GET /metrics failed: ' + ((error.cause && error.cause.message) || error.message)); process.exit(${METRICS_STATUS.failed}); });`;

/**
 * Scrapes the API of a compose project (a release colour) from inside its `app` container, found by the labels
 * Compose puts on it (either Compose flavour, with or without the release directory).
 */
export function scrapeAppMetrics(project: string): RemoteCommand {
  return script(
    'nexus-scrape-metrics',
    `id=$(docker ps -q --filter "label=com.docker.compose.project=$1" --filter "label=com.docker.compose.service=app" | head -n 1)
[ -n "$id" ] || { echo "no running app container in compose project $1" >&2; exit ${METRICS_STATUS.noContainer}; }
exec docker exec "$id" node -e "$2"`,
    project,
    SCRAPE_SCRIPT,
  );
}
