import { createHash, createHmac } from 'node:crypto';
import type { BackupManifest } from '../../cli/services/backup-manifest';

/** Backup signing keys for tests: ours, and an attacker's. */
export const SIGNING_KEY = createHash('sha256').update('nexus test backup signing key').digest('hex');
export const ATTACKER_KEY = createHash('sha256').update('somebody else').digest('hex');

/** How a forger deals with the signature they cannot make. */
export type Forgery =
  /** drops it (as if the backup predated signing) */
  | 'unsigned'
  /** leaves the genuine backup's signature in place */
  | 'kept-signature'
  /** signs with their own key, claiming our key id */
  | 'our-key-id'
  /** signs with their own key under its own id (what nexus run with their key writes) */
  | 'attacker-key';

/** JSON with sorted keys, as docs/backups.md specifies it, written apart from the code under test. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The security review's attack, by someone who can write where the backups are kept but lacks
 * BACKUP_SIGNING_KEY: a genuine backup's dump is replaced by theirs (their data: an extra staff account) and
 * its manifest rewritten to describe the new dump, so that the dump's sha256 and every table's checksum agree.
 * @param victim the genuine backup's manifest
 * @param source the manifest nexus wrote for the forger's dump (signed with ATTACKER_KEY)
 */
export function forgeManifest(victim: BackupManifest, source: BackupManifest, how: Forgery): BackupManifest {
  const { signature: _dropped, ...rewritten } = { ...source, id: victim.id, kind: victim.kind, createdAt: victim.createdAt, release: victim.release, dump: { ...source.dump, file: victim.dump.file } };
  const sign = (keyId: string) => ({ ...rewritten, signature: { algorithm: 'hmac-sha256' as const, keyId, value: createHmac('sha256', ATTACKER_KEY).update(`nexus-backup-manifest/1\n${canonical(rewritten)}`).digest('hex') } });
  switch (how) {
    case 'unsigned':
      return rewritten;
    case 'kept-signature':
      return { ...rewritten, signature: victim.signature };
    case 'our-key-id':
      return sign(victim.signature?.keyId ?? '');
    case 'attacker-key':
      return sign(source.signature?.keyId ?? '');
  }
}
