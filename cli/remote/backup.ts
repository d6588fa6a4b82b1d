import { COMPOSE_FUNCTION } from './docker';
import { PRIVATE_DIRECTORY } from './pg-backup';
import { script, type RemoteCommand } from './shell';

// The dump is written under a temporary name and renamed when complete, so a file under backups/ is
// always a whole dump; it is readable by the deploy user only (it holds every customer's data), in a
// directory of mode 700.
const FINISH = 'chmod 600 "$file.partial" && mv -f "$file.partial" "$file" && wc -c < "$file"';

/** pg_dump (custom format) of the on-host PostgreSQL service, run inside its container. */
export function dumpServicesDatabase(servicesDir: string, project: string, file: string, user: string, database: string): RemoteCommand {
  return script(
    'nexus-backup',
    `${COMPOSE_FUNCTION}\nfile=$3; umask 077; dir=$(dirname "$file")
${PRIVATE_DIRECTORY}
cd "$1" || exit 3
compose -p "$2" -f docker-compose.services.yml --env-file compose.env exec -T postgres pg_dump -U "$4" -d "$5" -Fc > "$file.partial" || { rm -f "$file.partial"; exit 1; }
${FINISH}`,
    servicesDir,
    project,
    file,
    user,
    database,
  );
}
