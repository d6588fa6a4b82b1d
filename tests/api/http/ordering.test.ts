import { parseOrdering, sameNameColumns } from '../../../api/http/ordering';

describe('?ordering= parsing', () => {
  const columns = sameNameColumns(['rating', 'created_at']);
  const fallback = { column: 'created_at', direction: 'desc' } as const;

  it('When a whitelisted field is given, with or without "-", then it maps to its column and direction', () => {
    expect(parseOrdering('rating', columns, fallback)).toEqual({ column: 'rating', direction: 'asc' });
    expect(parseOrdering('-rating', columns, fallback)).toEqual({ column: 'rating', direction: 'desc' });
  });

  it('When the field is missing, unknown or an Object.prototype name, then the fallback applies', () => {
    for (const value of [undefined, '', '-', 'password', 'constructor', '-__proto__', 'toString']) expect(parseOrdering(value, columns, fallback)).toEqual(fallback);
  });
});
