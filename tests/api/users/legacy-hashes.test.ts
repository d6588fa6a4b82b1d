import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';

// A Django pbkdf2_sha256 hash of "Old-Django-Pass-99", as the old backend stored it.
const DJANGO_HASH = 'pbkdf2_sha256$600000$saltsalt12$seM0UXgNppRVNnF6NYPstskc/+88Sx2VlZJiiV57e3o=';

describe('accounts imported from the old backend', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
    await api.db('users').insert({ email: 'legacy@example.com', username: 'legacy', password_hash: DJANGO_HASH });
  });
  afterAll(() => api.close());

  it('When the wrong password is given for a Django hash, then 401 and the hash is untouched', async () => {
    const response = await request(api.app).post('/api/v1/auth/login/').send({ email: 'legacy@example.com', password: 'Old-Django-Pass-98' });
    expect(response.status).toBe(401);
    expect((await api.db('users').where({ username: 'legacy' }).first()).password_hash).toBe(DJANGO_HASH);
  });

  it('When the right password is given, then login works and the hash is upgraded to argon2id', async () => {
    const response = await request(api.app).post('/api/v1/auth/login/').send({ email: 'legacy@example.com', password: 'Old-Django-Pass-99' });
    expect(response.status).toBe(200);
    const { password_hash: upgraded } = await api.db('users').where({ username: 'legacy' }).first();
    expect(upgraded).toMatch(/^\$argon2id\$/);
    const again = await request(api.app).post('/api/v1/auth/login/').send({ email: 'legacy@example.com', password: 'Old-Django-Pass-99' });
    expect(again.status).toBe(200);
  });
});
