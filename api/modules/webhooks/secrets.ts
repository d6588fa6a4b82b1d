import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Signing secrets look like Stripe's and Svix's, so that scanners and humans recognise them. */
export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The stored secret cannot be decrypted with this key: it was sealed under another WEBHOOK_SECRET_KEY. */
export class SecretKeyMismatchError extends Error {
  constructor() {
    super('The signing secret was encrypted under another WEBHOOK_SECRET_KEY; rotate it (`nexus webhooks rotate-secret <id>`, or POST …/rotate-secret).');
    this.name = 'SecretKeyMismatchError';
  }
}

const VERSION = 'v1';
// Fixed salt and context: the key only ever seals webhook secrets, and a new format would get a new `info`.
const HKDF_SALT = 'nexus-webhook-secrets';
const HKDF_INFO = 'aes-256-gcm v1';

/**
 * Encrypts signing secrets at rest (AES-256-GCM under a key derived from WEBHOOK_SECRET_KEY with HKDF-SHA256),
 * so a database dump alone does not reveal them. Stored as `v1:<iv>:<tag>:<ciphertext>`, each part base64url.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, HKDF_SALT, HKDF_INFO, 32));
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join(':');
  }

  /** @throws {SecretKeyMismatchError} when the key is not the one that sealed it (or the text was altered) */
  open(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new SecretKeyMismatchError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyMismatchError();
    }
  }
}
