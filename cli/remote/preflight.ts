import { script, type RemoteCommand } from './shell';

/**
 * Checks a deploy makes on a host before it builds or changes anything (see services/deploy-preflight.ts).
 * Each prints what went wrong and exits non-zero.
 */

/** An HTTP(S) request from the host itself: exit 0 on any HTTP answer (even 401), else curl's own reason. */
export function httpReachable(url: string): RemoteCommand {
  return script('nexus-http-check', 'curl -sS -o /dev/null --connect-timeout 5 --max-time 15 -w "HTTP %{http_code}" "$1"', url);
}

/** A TCP connection from the host itself, through bash's /dev/tcp (no client tool needed), within 10 s. */
export function tcpReachable(host: string, port: number): RemoteCommand {
  return script(
    'nexus-tcp-check',
    `timeout 10 bash -c 'exec 3<>"/dev/tcp/$1/$2"' nexus-tcp "$1" "$2" 2>&1 && exit 0
[ $? -eq 124 ] && echo "no answer within 10 s"
exit 1`,
    host,
    String(port),
  );
}

/** Prints the first of `images` that the host's Docker has (never pulls); exit 1 when it has none. */
export function firstPresentImage(images: readonly string[]): RemoteCommand {
  return script('nexus-first-image', 'for image in "$@"; do if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi; done\nexit 1', ...images);
}

/** Node's own TCP connect, so that any image with node (the app's, its base images) can run the check. */
const CONNECT = `const socket = require('net').connect(Number(process.argv[2]), process.argv[1]);
socket.setTimeout(10000, () => { console.error('no answer within 10 s'); process.exit(1); });
socket.on('connect', () => process.exit(0));
socket.on('error', (error) => { console.error(error.message); process.exit(1); });`;

/**
 * A TCP connection from a short-lived container, as the app's containers make it: on `network` when it exists
 * (the app's shared network), else on Docker's default network; from `image`, which must be on the host.
 */
export function tcpReachableFromContainer(image: string, network: string, host: string, port: number): RemoteCommand {
  return script(
    'nexus-container-tcp-check',
    `image=$1 network=$2 code=$3 host=$4 port=$5
if docker network inspect "$network" >/dev/null 2>&1; then set -- --network "$network"; else set --; fi
docker run --rm --pull never "$@" --entrypoint node "$image" -e "$code" "$host" "$port" 2>&1`,
    image,
    network,
    CONNECT,
    host,
    String(port),
  );
}
