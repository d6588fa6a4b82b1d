import { script, type RemoteCommand } from './shell';

/** Exit status of readFile when the file does not exist. */
export const FILE_MISSING_STATUS = 3;

/**
 * Writes stdin to a file atomically (a temporary file renamed over it), with the given mode from the start:
 * a secret is never readable by others, not even for a moment.
 */
export function writeFile(path: string, mode: '600' | '644'): RemoteCommand {
  return script('nexus-write', 'mkdir -p "$(dirname "$1")" && umask 077 && cat > "$1.tmp" && chmod "$2" "$1.tmp" && mv -f "$1.tmp" "$1"', path, mode);
}

/** Prints a file, or exits FILE_MISSING_STATUS. */
export function readFile(path: string): RemoteCommand {
  return script('nexus-read', `[ -f "$1" ] || exit ${FILE_MISSING_STATUS}; cat "$1"`, path);
}

/** Exits 0 when every file exists. */
export function filesExist(paths: readonly string[]): RemoteCommand {
  return script('nexus-files-exist', 'for file in "$@"; do [ -f "$file" ] || exit 1; done', ...paths);
}
