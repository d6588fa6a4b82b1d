import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { BackupManifest } from './backup-manifest';
import { BackupKeyRing, signingKeyMissing, type SignatureStatus } from './backup-signing';

/** Whether a backup whose signature does not check out may be used, and where the warning goes when it is. */
export interface BackupTrust {
  keys: BackupKeyRing;
  /** --allow-unsigned: use unsigned or mis-signed backups anyway, with a warning. */
  allowUnsigned: boolean;
  warn(message: string): void;
}

/** No keys and no exceptions: for the work that never reads a backup's contents (listing, removing). */
export const NO_TRUST: BackupTrust = { keys: new BackupKeyRing(), allowUnsigned: false, warn: () => undefined };

const REFUSALS: Partial<Record<SignatureStatus, { code: string; describe(manifest: BackupManifest, keys: BackupKeyRing): string }>> = {
  unsigned: {
    code: 'BACKUP_UNSIGNED',
    describe: (manifest) =>
      `Backup ${manifest.id} is not signed: whoever can write where the backups are kept could have replaced it, dump and checksums alike (backups made before nexus signed them are unsigned too).`,
  },
  invalid: {
    code: 'BACKUP_SIGNATURE_INVALID',
    describe: (manifest) => `The signature of backup ${manifest.id} does not match it: its manifest, or the dump the manifest describes, changed after it was signed.`,
  },
  'unknown-key': {
    code: 'BACKUP_KEY_UNKNOWN',
    describe: (manifest, keys) =>
      `Backup ${manifest.id} is signed by key ${manifest.signature?.keyId ?? '?'}, which is neither BACKUP_SIGNING_KEY (${keys.currentId ?? 'not set'}) nor in BACKUP_SIGNING_KEYS_PREVIOUS: a wrong key, or a backup signed by someone else.`,
  },
  unchecked: {
    code: 'BACKUP_KEY_MISSING',
    describe: (manifest) => `Backup ${manifest.id} is signed (key ${manifest.signature?.keyId ?? '?'}), but BACKUP_SIGNING_KEY is not set to check it.`,
  },
};

/**
 * Lets a backup be restored only when its manifest is signed by one of our keys. Otherwise it is refused
 * (nothing has been restored yet), unless --allow-unsigned, which warns and goes on.
 * @returns the signature's status
 */
export function assertTrusted(manifest: BackupManifest, trust: BackupTrust): SignatureStatus {
  const status = trust.keys.check(manifest);
  const refusal = REFUSALS[status];
  if (!refusal) return status;
  const reason = refusal.describe(manifest, trust.keys);
  if (trust.allowUnsigned) {
    trust.warn(`Warning: ${reason} Going on because of --allow-unsigned: make sure you know where this backup comes from, and check what it restores (staff accounts above all) before trusting it.`);
    return status;
  }
  if (status === 'unchecked') throw signingKeyMissing(`check the signature of ${manifest.id}`);
  throw new NexusError(`${reason} Refused; nothing was restored.`, {
    code: refusal.code,
    exitCode: ExitCode.REFUSED,
    suggestions: [
      'use another backup: `nexus db backup list` shows which are validly signed',
      'only if you know where this one comes from (e.g. made before backups were signed): pass --allow-unsigned',
    ],
  });
}
