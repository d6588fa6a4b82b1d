import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { TestApi } from './api';

export const STRONG_PASSWORD = 'Velvet-Harbor-Lantern-92';

export interface RegisteredUser {
  id: number;
  email: string;
  username: string;
  password: string;
  access: string;
  refresh: string;
}

/** Registers a user through the API (the real flow) and returns its credentials and first token pair. */
export async function registerUser(api: TestApi, overrides: Partial<{ email: string; username: string; password: string }> = {}): Promise<RegisteredUser> {
  const suffix = randomBytes(4).toString('hex');
  const body = {
    email: overrides.email ?? `user-${suffix}@example.com`,
    username: overrides.username ?? `user_${suffix}`,
    password: overrides.password ?? STRONG_PASSWORD,
    password_confirm: overrides.password ?? STRONG_PASSWORD,
  };
  const response = await request(api.app).post('/api/v1/auth/register/').send(body);
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    id: response.body.user.id,
    email: response.body.user.email,
    username: body.username,
    password: body.password,
    access: response.body.access,
    refresh: response.body.refresh,
  };
}

/** Makes an existing user staff directly in the database (there is no API for it, by design). */
export async function makeStaff(api: TestApi, userId: number): Promise<void> {
  await api.db('users').where({ id: userId }).update({ is_staff: true });
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
