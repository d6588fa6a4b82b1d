import { script, type RemoteCommand } from './shell';

/** Exit status of the lock scripts when someone else holds the lock (EX_TEMPFAIL). */
export const LOCK_HELD_STATUS = 75;
/** Exit status of `status` when nobody holds the lock. */
export const LOCK_FREE_STATUS = 3;

export interface LockOwner {
  /** Random id of this holder: only it may release the lock without forcing. */
  id: string;
  owner: string;
  reason: string;
}

export interface LockDetails extends LockOwner {
  acquired_at: number;
  expires_at: number;
}

export function lockDirectory(root: string): string {
  return `${root}/locks/deploy`;
}

// Every lock script runs under flock on a guard file next to the lock, so that checking a lock's expiry and
// taking it over is one step: two jobs finding the same expired lock cannot both take it.
const GUARDED = 'mkdir -p "$(dirname "$1")" && exec 9>"$1.guard" && flock -w 10 9 || { echo "could not take the lock guard $1.guard" >&2; exit 1; }';

/** Prints the details, or exits LOCK_FREE_STATUS. */
export function lockStatus(root: string): RemoteCommand {
  return script('nexus-lock-status', `[ -f "$1/details.json" ] || exit ${LOCK_FREE_STATUS}; cat "$1/details.json"`, lockDirectory(root));
}

/**
 * Takes the lock, or takes over one whose expiry (by the host's clock) has passed. Prints the holder's
 * details and exits LOCK_HELD_STATUS when it is held; prints `acquired` or `taken-over <old details>`.
 */
export function acquireLock(root: string, holder: LockOwner, ttlSeconds: number): RemoteCommand {
  return script(
    'nexus-lock-acquire',
    `${GUARDED}
now=$(date +%s)
previous=
if [ -d "$1" ]; then
  expires=$(sed -n 's/.*"expires_at":\\([0-9][0-9]*\\).*/\\1/p' "$1/details.json" 2>/dev/null)
  if [ -n "$expires" ] && [ "$now" -lt "$expires" ]; then cat "$1/details.json"; exit ${LOCK_HELD_STATUS}; fi
  previous=$(cat "$1/details.json" 2>/dev/null)
  rm -rf "$1"
fi
mkdir "$1" && printf '{"id":%s,"owner":%s,"reason":%s,"acquired_at":%s,"expires_at":%s}\\n' "$2" "$3" "$4" "$now" "$((now + $5))" > "$1/details.json" || exit 1
if [ -n "$previous" ]; then echo "taken-over $previous"; else echo acquired; fi`,
    lockDirectory(root),
    JSON.stringify(holder.id),
    JSON.stringify(holder.owner),
    JSON.stringify(holder.reason),
    String(ttlSeconds),
  );
}

/** Releases the lock if `id` holds it (exits LOCK_HELD_STATUS if another does); without `id`, whoever holds it. */
export function releaseLock(root: string, id?: string): RemoteCommand {
  const check = id === undefined ? '' : `grep -qF "$2" "$1/details.json" || { cat "$1/details.json"; exit ${LOCK_HELD_STATUS}; }\n`;
  return script('nexus-lock-release', `${GUARDED}\n[ -d "$1" ] || exit 0\n${check}rm -rf "$1"`, lockDirectory(root), ...(id === undefined ? [] : [`"id":${JSON.stringify(id)}`]));
}
