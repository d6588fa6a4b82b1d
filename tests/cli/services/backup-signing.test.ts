import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadBackupKeys } from '../../../cli/deploy-config/backup-keys';
import { Secret } from '../../../cli/deploy-config/secrets';
import type { BackupManifest } from '../../../cli/services/backup-manifest';
import { BackupKeyRing, canonicalJson, keyId } from '../../../cli/services/backup-signing';
import { assertTrusted } from '../../../cli/services/backup-trust';

const KEY = 'a'.repeat(64);
const OLD_KEY = 'b'.repeat(64);

const manifest: BackupManifest = {
  format: 'nexus-backup/1',
  id: '20261202T031500Z-scheduled',
  kind: 'scheduled',
  createdAt: '2026-12-02T03:15:00.000Z',
  database: 'shop',
  serverVersion: '15.8',
  release: '20261201T000000Z-abc',
  migration: { latest: '20261101000000_orders', count: 12 },
  tables: { 'public.users': { rows: 3, checksum: 'ab' }, 'public.orders': { rows: 9, checksum: 'cd' } },
  dump: { file: '20261202T031500Z-scheduled.dump', bytes: 2048, sha256: 'f'.repeat(64) },
};

const ring = (current?: string, previous: string[] = []) => new BackupKeyRing(current ? new Secret(current) : undefined, previous.map((value) => new Secret(value)));

describe('signed backup manifests', () => {
  it('When a manifest is signed, then the signature is HMAC-SHA256 by the named key over the canonical manifest, and it checks out', () => {
    const signed = ring(KEY).sign(manifest);
    const { signature: _signature, ...rest } = signed;
    const expected = createHmac('sha256', KEY).update(`nexus-backup-manifest/1\n${canonicalJson(rest)}`).digest('hex');
    expect(signed.signature).toEqual({ algorithm: 'hmac-sha256', keyId: keyId(KEY), value: expected });
    expect(ring(KEY).check(signed)).toBe('valid');
    // Written to disk and read back (another key order, through JSON): the same manifest.
    const reordered = JSON.parse(JSON.stringify({ dump: signed.dump, signature: signed.signature, ...Object.fromEntries(Object.entries(signed).reverse()) })) as BackupManifest;
    expect(ring(KEY).check(reordered)).toBe('valid');
  });

  it.each([
    ['the dump checksum (a swapped dump)', (m: BackupManifest) => ({ ...m, dump: { ...m.dump, sha256: '0'.repeat(64) } })],
    ['a table checksum', (m: BackupManifest) => ({ ...m, tables: { ...m.tables, 'public.users': { rows: 4, checksum: 'ef' } } })],
    ['an added table', (m: BackupManifest) => ({ ...m, tables: { ...m.tables, 'public.extra': { rows: 0, checksum: '' } } })],
    ['the id', (m: BackupManifest) => ({ ...m, id: '20261203T031500Z-scheduled' })],
    ['an added field', (m: BackupManifest) => ({ ...m, note: 'x' }) as BackupManifest],
    ['the signature value', (m: BackupManifest) => ({ ...m, signature: { ...m.signature!, value: `0${m.signature!.value.slice(1)}` } })],
    ['a signature value that is not hex', (m: BackupManifest) => ({ ...m, signature: { ...m.signature!, value: 'not hex' } })],
    ['the algorithm', (m: BackupManifest) => ({ ...m, signature: { ...m.signature!, algorithm: 'none' as 'hmac-sha256' } })],
  ])('When %s changes after signing, then the signature is invalid', (_label, tamper) => {
    expect(ring(KEY).check(tamper(ring(KEY).sign(manifest)))).toBe('invalid');
  });

  it('When keys rotate, then new backups are signed by the current key and older ones still check with the previous one', () => {
    const old = ring(OLD_KEY).sign(manifest);
    const rotated = ring(KEY, [OLD_KEY]);
    expect(rotated.check(old)).toBe('valid-previous-key');
    expect(rotated.sign(manifest).signature?.keyId).toBe(keyId(KEY));
    expect(ring(KEY).check(old)).toBe('unknown-key');
    expect(rotated.check(manifest)).toBe('unsigned');
    expect(ring().check(old)).toBe('unchecked');
  });

  it('When a key is shorter than 32 characters, then it is refused as configuration (exit 3), current or previous', () => {
    expect(() => ring('short')).toThrow(expect.objectContaining({ code: 'BACKUP_KEY_WEAK', exitCode: 3 }));
    expect(() => ring(KEY, ['short'])).toThrow(expect.objectContaining({ code: 'BACKUP_KEY_WEAK', exitCode: 3 }));
  });

  it('When there is no key, then signing is refused naming how to create one; the key never shows in output', () => {
    expect(() => ring().sign(manifest)).toThrow(expect.objectContaining({ code: 'BACKUP_KEY_MISSING', exitCode: 3, suggestions: expect.arrayContaining([expect.stringContaining('openssl rand -hex 32')]) }));
    const keys = ring(KEY, [OLD_KEY]);
    expect(`${JSON.stringify(keys)} ${inspect(keys, { showHidden: true, depth: 5 })} ${String(keys.current)}`).not.toMatch(/aaaa|bbbb/);
    expect(keyId(KEY)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('When a backup is not validly signed, then it is refused with exit 5 (nothing restored) unless allowed, which warns', () => {
    const keys = ring(KEY);
    const warnings: string[] = [];
    const trust = (allowUnsigned: boolean) => ({ keys, allowUnsigned, warn: (message: string) => warnings.push(message) });
    expect(assertTrusted(keys.sign(manifest), trust(false))).toBe('valid');
    const cases: [BackupManifest, string][] = [
      [manifest, 'BACKUP_UNSIGNED'],
      [{ ...keys.sign(manifest), database: 'other' }, 'BACKUP_SIGNATURE_INVALID'],
      [ring(OLD_KEY).sign(manifest), 'BACKUP_KEY_UNKNOWN'],
    ];
    for (const [candidate, code] of cases) {
      expect(() => assertTrusted(candidate, trust(false))).toThrow(expect.objectContaining({ code, exitCode: 5, message: expect.stringContaining('nothing was restored') }));
      expect(assertTrusted(candidate, trust(true))).not.toBe('valid');
    }
    expect(warnings).toHaveLength(3);
    expect(warnings.every((warning) => warning.startsWith('Warning: ') && warning.includes('--allow-unsigned'))).toBe(true);
    expect(() => assertTrusted(keys.sign(manifest), { keys: ring(), allowUnsigned: false, warn: () => undefined })).toThrow(expect.objectContaining({ code: 'BACKUP_KEY_MISSING', exitCode: 3 }));
  });

  it('When keys come from the environment and .nexus/secrets, then the environment wins and previous keys are a comma or space separated list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-keys-'));
    try {
      mkdirSync(join(dir, '.nexus'));
      writeFileSync(join(dir, '.nexus', 'secrets'), `BACKUP_SIGNING_KEY=${OLD_KEY}\nBACKUP_SIGNING_KEYS_PREVIOUS=${'c'.repeat(40)}, ${'d'.repeat(40)} ${'e'.repeat(40)}\n`, { mode: 0o600 });
      expect(loadBackupKeys(dir, {}).currentId).toBe(keyId(OLD_KEY));
      const keys = loadBackupKeys(dir, { BACKUP_SIGNING_KEY: KEY });
      expect(keys.currentId).toBe(keyId(KEY));
      for (const previous of ['c', 'd', 'e']) expect(keys.check(ring(previous.repeat(40)).sign(manifest))).toBe('valid-previous-key');
      expect(loadBackupKeys(join(dir, 'nowhere'), {}).current).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
