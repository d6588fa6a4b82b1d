import fc from 'fast-check';

/** A JSON Schema as the OpenAPI document carries it (only what the fuzzer reads). */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
}

/** Strings attackers try: SQL, HTML/JS, template and path injection, control and odd Unicode characters. */
export const INJECTIONS = [
  "' OR '1'='1' --",
  "1; DROP TABLE users; --",
  '"; SELECT pg_sleep(5); --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e\u0000\uffff',
  '\ud800',
  '𝕏'.repeat(50),
  '__proto__',
  'constructor',
  '-1',
  '9'.repeat(40),
  'NaN',
  '1e309',
];

/** Any value at all, hostile ones often: wrong types, boundary numbers, huge and odd strings, nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 0.1 + 0.2, 1e-320),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.nat({ max: 4 }).map((extra) => 'x'.repeat(20_000 + extra)),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxLength: 5 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a', '$where', 'id'), fc.oneof(fc.string({ maxLength: 8 }), fc.integer())),
);

function types(schema: Schema): Set<string> {
  const found = new Set<string>();
  for (const part of [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    for (const type of Array.isArray(part.type) ? part.type : part.type ? [part.type] : []) found.add(type);
  }
  return found;
}

/** A value that the property's declared type does not allow (an object where a string is wanted, and so on). */
export function wrongTypeFor(schema: Schema): fc.Arbitrary<unknown> {
  const allowed = types(schema);
  const candidates: fc.Arbitrary<unknown>[] = [];
  if (!allowed.has('object')) candidates.push(fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { minKeys: 1, maxKeys: 3 }));
  if (!allowed.has('array')) candidates.push(fc.array(fc.integer(), { minLength: 1, maxLength: 3 }));
  if (!allowed.has('string')) candidates.push(fc.constantFrom(...INJECTIONS.filter((value) => Number.isNaN(Number(value)))));
  if (!allowed.has('boolean') && !allowed.has('string')) candidates.push(fc.boolean());
  return fc.oneof(...candidates);
}

/**
 * Raw JSON bodies that parsers and validators trip on: duplicate keys, deep nesting, a top level that is not
 * an object, broken JSON, and a body larger than any limit.
 */
export function rawBodies(properties: string[]): fc.Arbitrary<string> {
  const name = properties[0] ?? 'field';
  return fc.oneof(
    // JSON.parse keeps the last of duplicate keys: the last one here is never a valid value.
    fc.constant(`{"${name}": "x", "${name}": 1, "${name}": {"$gt": ""}}`),
    fc.integer({ min: 1_000, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    fc.integer({ min: 1_000, max: 20_000 }).map((depth) => `${`{"${name}":`.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.constantFrom('[]', '"text"', '42', 'null', 'true', '{', '{"a": }', '{"a": 1,}', "{'a': 1}", '\u0000', ''),
    fc.constant(`{"${name}": "${'a'.repeat(2 * 1024 * 1024)}"}`),
  );
}

/**
 * Bodies for an operation whose schema lists `properties`: every generated body gives at least one declared
 * property a value of the wrong type, so no body is valid, and the rest hostile values or unknown fields.
 */
export function invalidBody(properties: Record<string, Schema>): fc.Arbitrary<{ json: object } | { raw: string }> {
  const names = Object.keys(properties);
  if (names.length === 0) return rawBodies([]).map((raw) => ({ raw }));
  const broken = fc.constantFrom(...names).chain((name) =>
    fc
      .tuple(wrongTypeFor(properties[name] as Schema), fc.dictionary(fc.constantFrom(...names, 'is_staff', 'user_id', 'id', 'status'), hostileValue, { maxKeys: 4 }))
      .map(([value, others]) => ({ json: Object.assign(Object.create(null) as object, others, { [name]: value }) })),
  );
  return fc.oneof({ weight: 4, arbitrary: broken }, { weight: 1, arbitrary: rawBodies(names).map((raw) => ({ raw })) });
}

/** Path parameter values that name nothing valid. */
export const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom('0', '-1', '1.5', '99999999999999999999', '2147483648', '1e3', ' 1', '0x10', 'null', 'undefined'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
);
