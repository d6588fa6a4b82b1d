import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const ADDRESS_KEYS = [
  'id',
  'first_name',
  'last_name',
  'address_line_1',
  'address_line_2',
  'city',
  'postal_code',
  'country',
  'phone_number',
  'is_default',
  'user',
];
const REQUIRED = ['first_name', 'last_name', 'address_line_1', 'city', 'postal_code', 'country', 'phone_number'];
const NO_ADDRESS = { detail: 'No Address matches the given query.', code: 'not_found' };
const HOST = 'shop.example.com';

function citiesOf(response: request.Response): string[] {
  return (response.body.results as { city: string }[]).map((item) => item.city);
}

function addressInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_name: 'Ada',
    last_name: 'Lovelace',
    address_line_1: '12 Analytical Row',
    address_line_2: 'Flat 3',
    city: 'London',
    postal_code: 'N1 9GU',
    country: 'United Kingdom',
    phone_number: '+44 20 7946 0000',
    ...overrides,
  };
}

describe.each(['/api/v1/auth', '/api/v1/users'])('addresses under %s', (prefix) => {
  const base = `${prefix}/addresses/`;
  let api: TestApi;
  let owner: RegisteredUser;
  let other: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi();
    owner = await registerUser(api);
    other = await registerUser(api);
  });
  afterAll(() => api.close());

  async function create(user: RegisteredUser, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown> & { id: number }> {
    const response = await request(api.app).post(base).set(bearer(user.access)).send(addressInput(overrides));
    expect(response.status).toBe(201);
    return response.body as Record<string, unknown> & { id: number };
  }

  async function defaultIds(user: RegisteredUser): Promise<number[]> {
    const rows = await api.db('addresses').where({ user_id: user.id, is_default: true }).select('id');
    return rows.map((row: { id: number }) => Number(row.id));
  }

  it('When an address is created, then 201 returns the old object shape in the old key order', async () => {
    const response = await request(api.app).post(base).set(bearer(owner.access)).send(addressInput());
    expect(response.status).toBe(201);
    expect(Object.keys(response.body)).toEqual(ADDRESS_KEYS);
    expect(response.body).toEqual({ id: expect.any(Number), ...addressInput(), is_default: false, user: owner.id });
  });

  it('When address_line_2 is left out, then it is stored as an empty string', async () => {
    const { address_line_2: _omit, ...input } = addressInput();
    const response = await request(api.app).post(base).set(bearer(owner.access)).send(input);
    expect(response.status).toBe(201);
    expect(response.body.address_line_2).toBe('');
  });

  it('When required fields are missing, then 400 names each one with "This field is required."', async () => {
    const response = await request(api.app).post(base).set(bearer(owner.access)).send({});
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid');
    for (const field of REQUIRED) expect(response.body[field]).toEqual(['This field is required.']);
    expect(response.body).not.toHaveProperty('address_line_2');
    expect(response.body).not.toHaveProperty('is_default');
  });

  it('When fields are blank or too long, then 400 with the DRF messages and nothing is stored', async () => {
    const before = await api.db('addresses').where({ user_id: owner.id }).count({ n: '*' });
    const response = await request(api.app)
      .post(base)
      .set(bearer(owner.access))
      .send(addressInput({ first_name: '', city: '   ', phone_number: '1'.repeat(21), address_line_1: 'x'.repeat(256) }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      first_name: ['This field may not be blank.'],
      city: ['This field may not be blank.'],
      phone_number: ['Ensure this field has no more than 20 characters.'],
      address_line_1: ['Ensure this field has no more than 255 characters.'],
      code: 'invalid',
    });
    expect(await api.db('addresses').where({ user_id: owner.id }).count({ n: '*' })).toEqual(before);
  });

  it('When the body names another id and owner, then both are ignored and the caller owns the new address', async () => {
    const response = await request(api.app)
      .post(base)
      .set(bearer(owner.access))
      .send(addressInput({ id: 999_999, user: other.id }));
    expect(response.status).toBe(201);
    expect(response.body.id).not.toBe(999_999);
    expect(response.body.user).toBe(owner.id);
    const row = await api.db('addresses').where({ id: response.body.id }).first();
    expect(Number(row.user_id)).toBe(owner.id);
  });

  it('When is_default arrives as the form string "true", then the address becomes the default', async () => {
    const response = await request(api.app).post(base).set(bearer(owner.access)).type('form').send(addressInput({ is_default: 'true' }));
    expect(response.status).toBe(201);
    expect(response.body.is_default).toBe(true);
    expect(await defaultIds(owner)).toEqual([response.body.id]);
  });

  it('When is_default is not a boolean, then 400 "Must be a valid boolean."', async () => {
    const response = await request(api.app).post(base).set(bearer(owner.access)).send(addressInput({ is_default: 'maybe' }));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ is_default: ['Must be a valid boolean.'], code: 'invalid' });
  });

  it('When an address is fetched, then 200 with the same object', async () => {
    const created = await create(owner);
    const response = await request(api.app).get(`${base}${created.id}/`).set(bearer(owner.access));
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('When PUT omits required fields, then 400 lists them and the address is unchanged', async () => {
    const created = await create(owner);
    const response = await request(api.app).put(`${base}${created.id}/`).set(bearer(owner.access)).send({ city: 'Paris' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid');
    expect(Object.keys(response.body).sort()).toEqual([...REQUIRED.filter((field) => field !== 'city'), 'code'].sort());
    expect((await request(api.app).get(`${base}${created.id}/`).set(bearer(owner.access))).body).toEqual(created);
  });

  it('When PUT sends every required field, then 200 with the replaced address', async () => {
    const created = await create(owner);
    const replacement = addressInput({ first_name: 'Grace', city: 'Arlington', address_line_2: '' });
    const response = await request(api.app).put(`${base}${created.id}/`).set(bearer(owner.access)).send(replacement);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...replacement, id: created.id, is_default: false, user: owner.id });
  });

  it('When PATCH sends one field, then only that field changes', async () => {
    const created = await create(owner);
    const response = await request(api.app).patch(`${base}${created.id}/`).set(bearer(owner.access)).send({ postal_code: 'EC1A 1BB' });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(ADDRESS_KEYS);
    expect(response.body).toEqual({ ...created, postal_code: 'EC1A 1BB' });
  });

  it('When PATCH blanks a required field, then 400 and nothing changes', async () => {
    const created = await create(owner);
    const response = await request(api.app).patch(`${base}${created.id}/`).set(bearer(owner.access)).send({ country: '' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ country: ['This field may not be blank.'], code: 'invalid' });
  });

  it('When an address is deleted, then 204 with an empty body and it is gone', async () => {
    const created = await create(owner);
    const response = await request(api.app).delete(`${base}${created.id}/`).set(bearer(owner.access));
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const again = await request(api.app).get(`${base}${created.id}/`).set(bearer(owner.access));
    expect(again.status).toBe(404);
    expect(again.body).toEqual(NO_ADDRESS);
    expect((await request(api.app).delete(`${base}${created.id}/`).set(bearer(owner.access))).status).toBe(404);
  });

  it('When set_default is called, then 200 with the message and the previous default is cleared', async () => {
    const first = await create(owner, { is_default: true });
    const second = await create(owner);
    const response = await request(api.app).post(`${base}${second.id}/set_default/`).set(bearer(owner.access));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Default address updated.' });
    expect(await defaultIds(owner)).toEqual([second.id]);
    const firstNow = await request(api.app).get(`${base}${first.id}/`).set(bearer(owner.access));
    expect(firstNow.body.is_default).toBe(false);
  });

  it('When an address is created or patched with is_default=true, then every other default is cleared', async () => {
    await create(owner, { is_default: true });
    const created = await create(owner, { is_default: true });
    expect(await defaultIds(owner)).toEqual([created.id]);
    const patched = await create(owner);
    const response = await request(api.app).patch(`${base}${patched.id}/`).set(bearer(owner.access)).send({ is_default: true });
    expect(response.status).toBe(200);
    expect(await defaultIds(owner)).toEqual([patched.id]);
  });

  it('When a default exists, then GET addresses/default/ returns it', async () => {
    const created = await create(owner, { is_default: true, city: 'Leeds' });
    const response = await request(api.app).get(`${base}default/`).set(bearer(owner.access));
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('When there is no default, then addresses/default/ is 404 with both detail and message', async () => {
    const fresh = await registerUser(api);
    await create(fresh);
    const response = await request(api.app).get(`${base}default/`).set(bearer(fresh.access));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: 'No default address found.', code: 'not_found', message: 'No default address found.' });
  });

  it("When another user's address id is used, then every operation is 404 and their data is unchanged", async () => {
    const theirs = await create(other, { is_default: false, city: 'Oslo' });
    const path = `${base}${theirs.id}/`;
    const auth = bearer(owner.access);
    const attempts = [
      request(api.app).get(path).set(auth),
      request(api.app).put(path).set(auth).send(addressInput()),
      request(api.app).patch(path).set(auth).send({ city: 'Stolen' }),
      request(api.app).patch(path).set(auth).send({ is_default: true }),
      request(api.app).delete(path).set(auth),
      request(api.app).post(`${path}set_default/`).set(auth),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual(NO_ADDRESS);
    }
    const mine = await request(api.app).get(path).set(bearer(other.access));
    expect(mine.body).toEqual(theirs);
  });

  it('When the id is not a positive number, then 404 Not found.', async () => {
    for (const id of ['abc', '1.5', '-1', '0', '99999999999999999999', "1' OR '1'='1"]) {
      const response = await request(api.app).get(`${base}${encodeURIComponent(id)}/`).set(bearer(owner.access));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Not found.', code: 'not_found' });
    }
    const missing = await request(api.app).get(`${base}2147483647/`).set(bearer(owner.access));
    expect(missing.body).toEqual(NO_ADDRESS);
  });

  it('When the caller is anonymous, then every address route is 401', async () => {
    const created = await create(owner);
    const attempts = [
      request(api.app).get(base),
      request(api.app).post(base).send(addressInput()),
      request(api.app).get(`${base}default/`),
      request(api.app).get(`${base}${created.id}/`),
      request(api.app).put(`${base}${created.id}/`).send(addressInput()),
      request(api.app).patch(`${base}${created.id}/`).send({ city: 'x' }),
      request(api.app).delete(`${base}${created.id}/`),
      request(api.app).post(`${base}${created.id}/set_default/`),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ detail: 'Authentication credentials were not provided.', code: 'not_authenticated' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    }
    expect((await request(api.app).get(`${base}${created.id}/`).set(bearer(owner.access))).status).toBe(200);
  });

  describe('listing', () => {
    let lister: RegisteredUser;
    const cities = Array.from({ length: 23 }, (_, index) => `City ${String(index).padStart(2, '0')}`);

    beforeAll(async () => {
      lister = await registerUser(api);
      for (const city of cities) await create(lister, { city });
      await create(other, { city: 'Not listed' });
    });

    it('When the first page is requested, then the DRF envelope has 20 results and an absolute next link', async () => {
      const response = await request(api.app).get(base).set('Host', HOST).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(['count', 'next', 'previous', 'results']);
      expect(response.body.count).toBe(23);
      expect(response.body.previous).toBeNull();
      expect(response.body.next).toBe(`http://${HOST}${base}?page=2`);
      expect(response.body.results).toHaveLength(20);
      expect(citiesOf(response)).toEqual(cities.slice(0, 20));
      for (const item of response.body.results) {
        expect(Object.keys(item)).toEqual(ADDRESS_KEYS);
        expect(item.user).toBe(lister.id);
      }
    });

    it('When page 2 is requested, then previous drops the page param and other params are kept', async () => {
      const response = await request(api.app).get(`${base}?ordering=-city&page=2`).set('Host', HOST).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(response.body.next).toBeNull();
      expect(response.body.previous).toBe(`http://${HOST}${base}?ordering=-city`);
      expect(citiesOf(response)).toEqual([...cities].reverse().slice(20));
      const first = await request(api.app).get(`${base}?ordering=-city`).set('Host', HOST).set(bearer(lister.access));
      expect(first.body.next).toBe(`http://${HOST}${base}?ordering=-city&page=2`);
    });

    it('When page=last is requested, then the last page is returned', async () => {
      const response = await request(api.app).get(`${base}?page=last`).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(response.body.results).toHaveLength(3);
      expect(new URL(response.body.previous as string).search).toBe('');
    });

    it('When the page is out of range or not a number, then 404 Invalid page.', async () => {
      for (const page of ['999', 'abc', '0', '-1', '2.0']) {
        const response = await request(api.app).get(`${base}?page=${page}`).set(bearer(lister.access));
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'Invalid page.', code: 'not_found' });
      }
    });

    it('When ordering=-city is given, then results are sorted by city descending', async () => {
      const response = await request(api.app).get(`${base}?ordering=-city`).set(bearer(lister.access));
      expect(response.status).toBe(200);
      expect(citiesOf(response)).toEqual([...cities].reverse().slice(0, 20));
    });

    it('When an unknown or hostile ordering is given, then it is ignored', async () => {
      for (const ordering of ['nonsense', 'user_id', '-password', 'city;DROP TABLE addresses']) {
        const response = await request(api.app).get(`${base}?ordering=${encodeURIComponent(ordering)}`).set(bearer(lister.access));
        expect(response.status).toBe(200);
        expect(citiesOf(response)).toEqual(cities.slice(0, 20));
      }
    });

    it('When page_size is given, then it is ignored', async () => {
      const response = await request(api.app).get(`${base}?page_size=5`).set(bearer(lister.access));
      expect(response.body.results).toHaveLength(20);
    });
  });

  it('When set_default and default creates race, then exactly one default remains and nothing fails', async () => {
    const racer = await registerUser(api);
    const existing = [];
    for (let index = 0; index < 10; index += 1) existing.push(await create(racer, { city: `Race ${index}` }));
    const auth = bearer(racer.access);
    const responses = await Promise.all([
      ...existing.map((address) => request(api.app).post(`${base}${address.id}/set_default/`).set(auth)),
      ...Array.from({ length: 5 }, (_, index) =>
        request(api.app).post(base).set(auth).send(addressInput({ is_default: true, city: `Racer ${index}` })),
      ),
      ...existing.slice(0, 3).map((address) => request(api.app).patch(`${base}${address.id}/`).set(auth).send({ is_default: true })),
    ]);
    for (const response of responses) expect([200, 201]).toContain(response.status);
    expect(await defaultIds(racer)).toHaveLength(1);
    const current = await request(api.app).get(`${base}default/`).set(auth);
    expect(current.status).toBe(200);
    expect(await defaultIds(racer)).toEqual([current.body.id]);
  });
});
