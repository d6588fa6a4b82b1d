import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { registerStaff } from '../../support/catalog';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

/** What the fuzzer found, kept as plain tests. */
describe('input-handling defects found by fuzzing', () => {
  let api: TestApi;
  let staff: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApi();
    staff = await registerStaff(api);
  });
  afterAll(() => api.close());

  it.each(['[]', 'abc', '1e309', "1' OR '1'='1"])('When the staff product list is filtered by price %j, then it is a 400 on price, not a 500 from the database', async (price) => {
    const response = await request(api.app).get('/api/v1/admin/products').query({ price }).set(bearer(staff.access));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ price: ['Enter a number.'], code: 'invalid' });
  });

  it.each([' 1', '1e0', '0x1', '1.0', '+1'])('When a path id is %j, then it names nothing (404) instead of being read as 1', async (id) => {
    const owner = await registerUser(api);
    const address = await request(api.app).post('/api/v1/auth/addresses/').set(bearer(owner.access)).send({
      first_name: 'Ada', last_name: 'Lovelace', address_line_1: '12 Analytical Row', city: 'London', postal_code: 'N1 9GU', country: 'United Kingdom', phone_number: '+44 20 7946 0000',
    });
    expect(address.status).toBe(201);
    const spelled = String(address.body.id as number).replace(/^\d+$/, (digits) => id.replace('1', digits));
    const response = await request(api.app).get(`/api/v1/auth/addresses/${encodeURIComponent(spelled)}/`).set(bearer(owner.access));
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'not_found' });
  });

  it('When a write sends the JSON value null as its body, then it is refused like any body that is not an object', async () => {
    const user = await registerUser(api);
    const response = await request(api.app).patch('/api/v1/auth/profile/update/').set(bearer(user.access)).set('Content-Type', 'application/json').send('null');
    expect(response.status).toBe(400);
    // DRF's answer to a null body, word for word.
    expect(response.body).toMatchObject({ non_field_errors: ['This field may not be null.'] });
  });

  it('When a key is repeated, then the last value counts, as in every JSON parser, and a bad last value is a 400', async () => {
    const user = await registerUser(api);
    const response = await request(api.app).patch('/api/v1/auth/profile/update/').set(bearer(user.access)).set('Content-Type', 'application/json').send('{"first_name": "Ada", "first_name": {"$gt": ""}}');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ first_name: [expect.any(String)] });
  });
});
