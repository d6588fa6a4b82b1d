/**
 * Examples for the OpenAPI document: one customer (Ada, id 23) through registration, login and her profile.
 * Shapes and formats are copied from real answers of `nexus dev`. They are not typed (a schema's type cannot
 * depend on its own example): tests/api/docs/openapi-examples.test.ts checks each against its schema.
 * The tokens are well-formed JWTs signed with a throwaway key.
 */

const ACCESS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzk1NTYzMDE0LCJpYXQiOjE3OTU1NjIxMTQsImp0aSI6ImM5MzVmMmQ5MzBmOTViNDZkM2FmY2MzZWRjNzUwMjJlIiwidXNlcl9pZCI6MjMsInNpZCI6ImM0MjI4MjQ2LTdjYTctNDJkMi04ODBmLWU2MmRhYzM3MTZkNyJ9.ZvNH0B39F1-VJYULfCcD_BnxO9RzF4FzIcibUCXu2eE';
const REFRESH =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5NjE2NjkxNCwiaWF0IjoxNzk1NTYyMTE0LCJqdGkiOiI1YjBlMWM3ZDlhMmY0ZTNiOGM2ZDFhMGY5ZThkN2M2YiIsInVzZXJfaWQiOjIzLCJzaWQiOiJjNDIyODI0Ni03Y2E3LTQyZDItODgwZi1lNjJkYWMzNzE2ZDcifQ.jJw0itndBMYWDeyc5TH-mdAeVUOdWmqc_-KZc77fKfk';
const PASSWORD = 'Analytical-Engine-1843';

export const tokenPairExample = { refresh: REFRESH, access: ACCESS };

export const userExample = {
  id: 23,
  email: 'ada@example.com',
  username: 'ada',
  first_name: 'Ada',
  last_name: 'Lovelace',
  date_joined: '2026-11-24T23:14:50.103725Z',
};

export const registerExample = {
  email: 'ada@example.com',
  username: 'ada',
  first_name: 'Ada',
  last_name: 'Lovelace',
  password: PASSWORD,
  password_confirm: PASSWORD,
};

export const loginExample = { email: 'ada@example.com', password: PASSWORD };

export const passwordChangeExample = {
  old_password: PASSWORD,
  new_password: 'Difference-Engine-1822',
  new_password_confirm: 'Difference-Engine-1822',
};

export const passwordResetConfirmExample = {
  uid: 'MjM',
  token: 'IFTpb9-86P0Y8XqR131eDMAaJH88AwkRH87L9BZRfao',
  new_password: 'Difference-Engine-1822',
  new_password_confirm: 'Difference-Engine-1822',
};

export const profileUpdateExample = { first_name: 'Augusta Ada', last_name: 'King' };
