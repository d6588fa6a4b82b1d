import { script, type RemoteCommand } from './shell';

/**
 * Polls a URL on the host (the new release's loopback port) once a second until it answers 2xx or the
 * timeout passes. Prints the last answer either way, so a failure can say what the app said.
 */
export function waitForReadiness(url: string, timeoutSeconds: number): RemoteCommand {
  return script(
    'nexus-wait-ready',
    `end=$(( $(date +%s) + $2 ))
while :; do
  if answer=$(curl -fsS -m 5 "$1" 2>&1); then echo "$answer"; exit 0; fi
  if [ "$(date +%s)" -ge "$end" ]; then echo "$answer"; exit 1; fi
  sleep 1
done`,
    url,
    String(timeoutSeconds),
  );
}

/** Waits, on the host: in-flight requests to the old release finish while nginx's old workers drain. */
export function pause(seconds: number): RemoteCommand {
  return ['sleep', String(seconds)];
}
