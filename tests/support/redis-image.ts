import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_SUITE, debootstrapArchive } from './debootstrap';
import type { RunningDockerd } from './docker';

/**
 * The official redis image's interface, as docker-compose.services.yml uses it: `redis-server …` as the
 * command, data in the working directory /data, and protected mode off (the official build turns it off:
 * the server is reached only over the compose network).
 */
const ENTRYPOINT = `#!/bin/sh
set -eu
if [ "\${1:-}" = redis-server ]; then shift; set -- redis-server --protected-mode no "$@"; fi
exec "$@"
`;

function prepare(rootfs: string): void {
  for (const path of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) rmSync(join(rootfs, path), { recursive: true, force: true });
  mkdirSync(join(rootfs, 'data'));
  writeFileSync(join(rootfs, 'usr/local/bin/docker-entrypoint.sh'), ENTRYPOINT);
  chmodSync(join(rootfs, 'usr/local/bin/docker-entrypoint.sh'), 0o755);
}

/** A Redis image made offline from Debian's redis-server (with redis-cli, which the healthcheck runs), imported into `dockerd`; the root file system is cached per machine. */
export function importRedisImage(dockerd: RunningDockerd, tag: string): void {
  const version = createHash('sha256').update(ENTRYPOINT).update(prepare.toString()).digest('hex').slice(0, 12);
  const archive = debootstrapArchive(`redis-${DEBIAN_SUITE}-${version}`, ['redis-server'], prepare);
  const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'WORKDIR /data', 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'CMD ["redis-server"]', 'EXPOSE 6379'];
  dockerd.docker(['import', ...changes.flatMap((change) => ['-c', change]), archive, tag]);
}
