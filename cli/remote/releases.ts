import { script, type RemoteCommand } from './shell';

/** What each release directory records about itself (release.json). */
export interface ReleaseRecord {
  id: string;
  version: string;
  image: string;
  created_at: string;
  created_by: string;
  /** When the release first served traffic; absent for one that never became ready. */
  served_at?: string;
}

const RELEASE_ID = /^\d{8}T\d{6}Z-[A-Za-z0-9._-]{1,64}$/;

/** Sortable and readable: 20261125T031500Z-1.4.0. */
export function releaseId(now: Date, version: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const id = `${stamp}-${version.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64)}`;
  if (!RELEASE_ID.test(id)) throw new Error(`not a valid release id: ${id}`);
  return id;
}

export function isReleaseId(value: string): boolean {
  return RELEASE_ID.test(value);
}

/**
 * Prints `current <id>` (when a release is current) and one `release <id> <release.json>` line per release,
 * oldest first. Release ids sort by time, so `ls` order is age order.
 */
export function listReleases(root: string): RemoteCommand {
  return script(
    'nexus-releases',
    `cd "$1" 2>/dev/null || exit 0
if [ -L current ]; then echo "current $(basename "$(readlink current)")"; fi
[ -d releases ] || exit 0
for dir in $(ls -1 releases); do
  printf 'release %s %s\\n' "$dir" "$(tr -d '\\n' < "releases/$dir/release.json" 2>/dev/null)"
done`,
    root,
  );
}

/** Points `current` at a release atomically (a new symlink renamed over the old one), after checking it exists. */
export function switchCurrent(root: string, id: string): RemoteCommand {
  return script(
    'nexus-switch',
    '[ -f "$1/releases/$2/release.json" ] || { echo "no release $2 in $1/releases" >&2; exit 3; }\nln -sfn "releases/$2" "$1/current.next" && mv -T "$1/current.next" "$1/current"',
    root,
    id,
  );
}

/** Deletes releases by id (validated: nothing outside releases/ can be named). */
export function removeReleases(root: string, ids: readonly string[]): RemoteCommand {
  for (const id of ids) if (!isReleaseId(id)) throw new Error(`refusing to remove "${id}": not a release id`);
  return script('nexus-remove-releases', 'root=$1; shift; for id in "$@"; do rm -rf -- "$root/releases/$id"; done', root, ...ids);
}

/**
 * Which releases to delete so that `keep` remain: the oldest go first, and the current release and the ones
 * in `protect` (e.g. the previous one, for a rollback) are never chosen.
 */
export function releasesToPrune(ids: readonly string[], keep: number, current: string | undefined, protect: readonly string[] = []): string[] {
  const sorted = [...ids].sort();
  const excess = sorted.length - keep;
  if (excess <= 0) return [];
  const kept = new Set([current, ...protect]);
  return sorted.filter((id) => !kept.has(id)).slice(0, excess);
}
