import { script, type RemoteCommand } from './shell';

/**
 * Polls a URL on the host (the new release's loopback port) once a second until it answers 2xx or the
 * timeout passes. Prints the last answer either way (status and body: the readiness body names the
 * failing check), so a failure can say what the app said.
 */
export function waitForReadiness(url: string, timeoutSeconds: number): RemoteCommand {
  return script(
    'nexus-wait-ready',
    `end=$(( $(date +%s) + $2 ))
while :; do
  answer=$(curl -sS -m 5 -w '\n%{http_code}' "$1" 2>&1)
  status=$(printf '%s' "$answer" | tail -n 1)
  body=$(printf '%s' "$answer" | sed '$d')
  case "$status" in 2??) printf '%s\n' "$body"; exit 0;; esac
  if [ "$(date +%s)" -ge "$end" ]; then printf 'HTTP %s: %s\n' "$status" "$body"; exit 1; fi
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
