import { BackupKeyRing } from '../services/backup-signing';
import { loadSecrets, Secret, type RequiredSecret } from './secrets';

/** The secrets that sign and check backups. Never needed by the API, so never part of a release's env. */
export const BACKUP_KEY_SECRETS = ['BACKUP_SIGNING_KEY', 'BACKUP_SIGNING_KEYS_PREVIOUS'] as const;

/**
 * The backup keys from the environment or .nexus/secrets. Both are optional here: making a backup without
 * BACKUP_SIGNING_KEY, or checking one without any key, fails later with a message saying how to create it.
 * BACKUP_SIGNING_KEYS_PREVIOUS lists retired keys (comma or space separated) that still check older backups.
 */
export function loadBackupKeys(directory: string, env: NodeJS.ProcessEnv = process.env): BackupKeyRing {
  const { secrets } = loadSecrets(BACKUP_KEY_SECRETS, directory, env);
  const previous = (secrets.get('BACKUP_SIGNING_KEYS_PREVIOUS')?.reveal() ?? '')
    .split(/[\s,]+/)
    .filter((value) => value !== '')
    .map((value) => new Secret(value));
  return new BackupKeyRing(secrets.get('BACKUP_SIGNING_KEY'), previous);
}

/** The backup signing key as `nexus init` generates it into .nexus/secrets (a deploy that migrates backs up first). */
export const BACKUP_SIGNING_SECRET: RequiredSecret = {
  name: BACKUP_KEY_SECRETS[0],
  reason: 'signs database backups (nexus keeps it from the API; keep a copy away from the backups)',
  value: 'random',
};
