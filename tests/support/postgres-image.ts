import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_SUITE, debootstrapArchive, debootstrapAvailable } from './debootstrap';
import type { RunningDockerd } from './docker';

/** Debian 12's PostgreSQL, the server (and client tools) of the image. */
const MAJOR = 15;
const BIN = `/usr/lib/postgresql/${MAJOR}/bin`;

/**
 * The official postgres image's interface, as docker-compose.services.yml uses it: on the first start,
 * a cluster in $PGDATA whose superuser is POSTGRES_USER (password POSTGRES_PASSWORD, required over the
 * network) with the database POSTGRES_DB; trust on the local socket, which `docker compose exec postgres
 * psql` and pg_isready use; then the server in the foreground as the postgres user.
 */
const ENTRYPOINT = `#!/bin/sh
set -eu
bin=${BIN}
PGDATA=\${PGDATA:-/var/lib/postgresql/data}
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
  user=\${POSTGRES_USER:-postgres}
  pwfile=$(mktemp)
  printf '%s\\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  printf "listen_addresses = '*'\\njit = off\\n" >> "$PGDATA/postgresql.conf"
  as_postgres "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=" -w start >/dev/null
  printf 'CREATE DATABASE "%s";\\n' "\${POSTGRES_DB:-$user}" | as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -U "$user" -d postgres
  as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA"
`;

/** Leaves what the server needs: no package caches, documentation, translations, or the JIT (jit = off) and its LLVM. */
function trim(rootfs: string): void {
  const remove = (path: string) => rmSync(join(rootfs, path), { recursive: true, force: true });
  for (const path of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale', `usr/lib/postgresql/${MAJOR}/lib/bitcode`, `usr/lib/postgresql/${MAJOR}/lib/llvmjit.so`]) remove(path);
  for (const name of readdirSync(join(rootfs, 'usr/lib/x86_64-linux-gnu'))) if (/^lib(LLVM|z3)/.test(name)) remove(`usr/lib/x86_64-linux-gnu/${name}`);
  // The package's own cluster (15/main) is not used: the entrypoint makes one in $PGDATA.
  for (const path of ['etc/postgresql', 'var/lib/postgresql']) remove(path);
  mkdirSync(join(rootfs, 'var/lib/postgresql'), { recursive: true });
  writeFileSync(join(rootfs, 'usr/local/bin/docker-entrypoint.sh'), ENTRYPOINT);
  chmodSync(join(rootfs, 'usr/local/bin/docker-entrypoint.sh'), 0o755);
}

export const postgresImageAvailable = debootstrapAvailable;

/**
 * A PostgreSQL image made offline (no registry is reachable): Debian's postgresql-15 in a debootstrap root,
 * with an entrypoint that stands in for the official image's (see ENTRYPOINT), imported into `dockerd`.
 * The root file system is built once per machine and cached.
 */
export function importPostgresImage(dockerd: RunningDockerd, tag: string): void {
  const version = createHash('sha256').update(ENTRYPOINT).update(trim.toString()).digest('hex').slice(0, 12);
  const archive = debootstrapArchive(`postgres-${MAJOR}-${DEBIAN_SUITE}-${version}`, [`postgresql-${MAJOR}`], trim);
  const changes = [`ENV PATH=${BIN}:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data LANG=C.UTF-8`, 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', 'EXPOSE 5432'];
  dockerd.docker(['import', ...changes.flatMap((change) => ['-c', change]), archive, tag]);
}
