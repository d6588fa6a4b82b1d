import { TEST_CARDS } from '../../api/modules/orders';
import { STRONG_PASSWORD } from './users';

/** What must never appear in a log line: a JWT, a Bearer credential, the tests' password or card numbers, or a secret-named field that is not censored. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const BEARER = /Bearer\s+[A-Za-z0-9._~+/-]{16,}/i;
const SECRET_KEY = /pass|secret|token|authorization|cookie|access|refresh|card_number|cvv/i;
const CENSORED = '[redacted]';

function uncensoredSecretFields(value: unknown, path: string[] = []): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => uncensoredSecretFields(item, [...path, String(index)]));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    const here = [...path, key];
    if (SECRET_KEY.test(key) && typeof item === 'string' && item !== CENSORED && item !== '') return [here.join('.')];
    return uncensoredSecretFields(item, here);
  });
}

/** @returns one description per offending line (with the secret's kind, never the secret itself) */
export function findSecrets(lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const [index, line] of lines.entries()) {
    const kinds: string[] = [];
    if (JWT.test(line)) kinds.push('a JWT');
    if (BEARER.test(line)) kinds.push('a Bearer credential');
    if (line.includes(STRONG_PASSWORD)) kinds.push("the tests' password");
    if (Object.values(TEST_CARDS).some((number) => line.includes(number))) kinds.push('a test card number');
    try {
      kinds.push(...uncensoredSecretFields(JSON.parse(line)).map((field) => `uncensored field ${field}`));
    } catch {
      // not JSON: the patterns above still apply
    }
    if (kinds.length > 0) found.push(`line ${index + 1}: ${kinds.join(', ')}`);
  }
  return found;
}
