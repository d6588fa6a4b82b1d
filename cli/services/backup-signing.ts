import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../deploy-config/secrets';
import { NexusError } from '../errors';
import { ExitCode } from '../exit-codes';
import type { BackupManifest } from './backup-manifest';

/**
 * Signed manifests. The manifest already holds the dump's sha256 and every table's checksum, so an HMAC over
 * the whole manifest (in a canonical form) binds the dump too: whoever can write where backups are kept,
 * but does not hold the key, can neither edit a manifest nor swap a dump with a manifest recomputed to match.
 */
export interface ManifestSignature {
  algorithm: 'hmac-sha256';
  /** Which key signed (see keyId): lets old backups be checked with a previous key after a rotation. */
  keyId: string;
  /** Hex HMAC-SHA256 of SIGNED_PREFIX + canonicalJson(the manifest without its signature). */
  value: string;
}

/** Domain separation: this key signs nothing else that could be passed off as a manifest. */
export const SIGNED_PREFIX = 'nexus-backup-manifest/1\n';

/** `openssl rand -hex 32` gives 64; a short key would be a guessable one. */
export const MIN_KEY_LENGTH = 32;

/** What a manifest's signature says, checked against the keys at hand. */
export type SignatureStatus = 'valid' | 'valid-previous-key' | 'unsigned' | 'invalid' | 'unknown-key' | 'unchecked';

/** JSON with object keys sorted at every level and no whitespace: the same manifest always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The text a signature covers: everything in the manifest but the signature. */
export function signedText(manifest: BackupManifest): string {
  const { signature: _signature, ...rest } = manifest;
  return `${SIGNED_PREFIX}${canonicalJson(rest)}`;
}

/** A key's public name: a truncated hash, enough to pick the key, useless to guess it. */
export function keyId(key: string): string {
  return createHash('sha256').update('nexus-backup-key-id\n').update(key).digest('hex').slice(0, 16);
}

function hmac(key: string, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function keyFailure(message: string): NexusError {
  return new NexusError(message, {
    code: 'BACKUP_KEY_WEAK',
    exitCode: ExitCode.CONFIG,
    suggestions: ['create a key with `openssl rand -hex 32`'],
  });
}

/** The key that signs new backups (BACKUP_SIGNING_KEY) and the older ones that still verify (BACKUP_SIGNING_KEYS_PREVIOUS). */
export class BackupKeyRing {
  readonly #current: { id: string; secret: Secret } | undefined;
  readonly #previous: { id: string; secret: Secret }[];

  constructor(current?: Secret, previous: readonly Secret[] = []) {
    const named = (secret: Secret, name: string) => {
      if (secret.reveal().length < MIN_KEY_LENGTH) throw keyFailure(`${name} is shorter than ${MIN_KEY_LENGTH} characters: too easy to guess for a key that vouches for backups.`);
      return { id: keyId(secret.reveal()), secret };
    };
    this.#current = current ? named(current, 'BACKUP_SIGNING_KEY') : undefined;
    this.#previous = previous.map((secret) => named(secret, 'A key in BACKUP_SIGNING_KEYS_PREVIOUS'));
  }

  /** The signing key, for the files of the host's daily job. */
  get current(): Secret | undefined {
    return this.#current?.secret;
  }

  get currentId(): string | undefined {
    return this.#current?.id;
  }

  /** @returns the manifest with its signature, by the current key */
  sign(manifest: BackupManifest): BackupManifest {
    if (!this.#current) throw signingKeyMissing();
    const unsigned: BackupManifest = { ...manifest, signature: undefined };
    const value = hmac(this.#current.secret.reveal(), signedText(unsigned)).toString('hex');
    return { ...unsigned, signature: { algorithm: 'hmac-sha256', keyId: this.#current.id, value } };
  }

  check(manifest: BackupManifest): SignatureStatus {
    const signature = manifest.signature as Partial<ManifestSignature> | undefined;
    if (signature === undefined || signature === null) return 'unsigned';
    if (!this.#current && this.#previous.length === 0) return 'unchecked';
    const key = [this.#current, ...this.#previous].find((candidate) => candidate?.id === signature.keyId);
    if (!key) return 'unknown-key';
    const given = typeof signature.value === 'string' && /^[0-9a-f]{64}$/.test(signature.value) ? Buffer.from(signature.value, 'hex') : Buffer.alloc(0);
    const expected = hmac(key.secret.reveal(), signedText(manifest));
    if (signature.algorithm !== 'hmac-sha256' || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return key === this.#current ? 'valid' : 'valid-previous-key';
  }
}

/** Making a backup, or checking one, with no key to do it with. */
export function signingKeyMissing(purpose = 'sign the backup'): NexusError {
  return new NexusError(`BACKUP_SIGNING_KEY is not set, so nexus cannot ${purpose}. Backups are signed so that one replaced by whoever can write where they are kept is refused.`, {
    code: 'BACKUP_KEY_MISSING',
    exitCode: ExitCode.CONFIG,
    suggestions: [
      'create it once: echo "BACKUP_SIGNING_KEY=$(openssl rand -hex 32)" >> .nexus/secrets (or set it in the CI environment), and keep a copy away from the backups',
      'then `nexus db backup --schedule -t <target>` again, so that the daily job has it',
    ],
  });
}
