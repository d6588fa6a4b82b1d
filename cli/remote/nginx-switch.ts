import { script, type RemoteCommand } from './shell';

/** Exit status when `nginx -t` refused the new site (the previous one is back in place). */
export const NGINX_REFUSED_STATUS = 65;

/**
 * Installs the site read from stdin and reloads nginx, only if `nginx -t` accepts the result: otherwise the
 * previous site file is put back (nginx never saw the new one) and the test's output is printed. A reload
 * is graceful: old workers finish their requests on the old upstream while new ones use the new.
 */
export function switchNginxSite(siteFile: string, nginx: readonly string[]): RemoteCommand {
  return script(
    'nexus-nginx-switch',
    `site=$1; shift
mkdir -p "$(dirname "$site")" && cat > "$site.next" || exit 1
if [ -f "$site" ]; then cp -p "$site" "$site.previous"; else rm -f "$site.previous"; fi
mv -f "$site.next" "$site"
if ! output=$("$@" -t 2>&1); then
  if [ -f "$site.previous" ]; then mv -f "$site.previous" "$site"; else rm -f "$site"; fi
  echo "$output" >&2
  exit ${NGINX_REFUSED_STATUS}
fi
"$@" -s reload`,
    siteFile,
    ...nginx,
  );
}

/**
 * Tests nginx's configuration as it is and reloads it: after certificate files were replaced in place, which is
 * all a renewal job changes (it never writes nginx configuration). Exits NGINX_REFUSED_STATUS when `nginx -t`
 * refuses, without reloading.
 */
export function reloadNginx(nginx: readonly string[]): RemoteCommand {
  return script(
    'nexus-nginx-reload',
    `if ! output=$("$@" -t 2>&1); then
  echo "$output" >&2
  exit ${NGINX_REFUSED_STATUS}
fi
"$@" -s reload`,
    ...nginx,
  );
}
