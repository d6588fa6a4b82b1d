import { script, type RemoteCommand } from './shell';

/**
 * Puts a certificate uploaded to `<dir>.next/` in place of `<dir>/`, keeping the old one as
 * `<dir>.previous/` until the next issue, so that a refused nginx configuration can be undone.
 */
export function swapInCertificate(dir: string): RemoteCommand {
  return script(
    'nexus-cert-swap',
    '[ -f "$1.next/fullchain.pem" ] && [ -f "$1.next/privkey.pem" ] || { echo "no new certificate in $1.next" >&2; exit 3; }\nrm -rf "$1.previous"; if [ -d "$1" ]; then mv "$1" "$1.previous" || exit 1; fi\nmv "$1.next" "$1"',
    dir,
  );
}

/** Undoes swapInCertificate: the previous certificate (or none) is back. */
export function restoreCertificate(dir: string): RemoteCommand {
  return script('nexus-cert-restore', 'rm -rf "$1"; if [ -d "$1.previous" ]; then mv "$1.previous" "$1"; fi', dir);
}

/** Removes a file if it exists (a served challenge token). */
export function removeFile(path: string): RemoteCommand {
  return ['rm', '-f', '--', path];
}
