import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../support/api';
import { startSmtpReceiver, type SmtpReceiver } from '../../support/smtp';
import { bearer, registerUser, type RegisteredUser } from '../../support/users';

const SENT = { message: 'If an account exists for this email, a password reset link has been sent.' };
const INVALID_TOKEN = { detail: 'Invalid token.', code: 'invalid_token', error: 'Invalid token.' };
const NEW_PASSWORD = 'Saffron-Comet-Bridge-83';
const LINK = /https:\/\/shop\.test\/reset\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\//;

describe('password reset by mail', () => {
  let smtp: SmtpReceiver;
  let api: TestApi;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    api = await startTestApi({
      MAIL_TRANSPORT: 'smtp',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Shop <no-reply@shop.test>',
      PASSWORD_RESET_URL: 'https://shop.test/reset/{uid}/{token}/',
    });
  });
  afterAll(async () => {
    await api.close();
    await smtp.close();
  });

  const requestReset = (email: string, prefix = '/api/v1/auth') => request(api.app).post(`${prefix}/password/reset/`).send({ email });
  const confirm = (body: Record<string, unknown>, prefix = '/api/v1/auth') => request(api.app).post(`${prefix}/password/reset/confirm/`).send(body);
  const login = (email: string, password: string) => request(api.app).post('/api/v1/auth/login/').send({ email, password });
  const withPassword = (link: { uid: string; token: string }, password = NEW_PASSWORD, confirmation = password) => ({
    ...link,
    new_password: password,
    new_password_confirm: confirmation,
  });

  /** Asks for a reset and returns the uid and token from the link that arrives by mail. */
  async function mailedLink(user: RegisteredUser, email = user.email): Promise<{ uid: string; token: string }> {
    const before = smtp.mailsTo(user.email).length;
    const response = await requestReset(email);
    expect(response.status).toBe(200);
    const mail = await smtp.waitForMail(user.email, { after: before });
    const match = LINK.exec(mail.text);
    if (!match) throw new Error(`no reset link in mail: ${mail.text}`);
    return { uid: match[1] as string, token: match[2] as string };
  }

  it('When an existing account asks, then 200 and a mail with a uid/token link arrives', async () => {
    const user = await registerUser(api);
    const response = await requestReset(user.email);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(SENT);

    const mail = await smtp.waitForMail(user.email);
    expect(mail.subject).toBe('Password Reset Request');
    expect(mail.from).toBe('no-reply@shop.test');
    const match = LINK.exec(mail.text);
    expect(match).not.toBeNull();
    expect(match?.[1]).toBe(Buffer.from(String(user.id)).toString('base64url'));
    expect(match?.[2]?.length).toBeGreaterThanOrEqual(32);
  });

  it('When the email is unknown or the account inactive, then the answer is identical and nothing is sent', async () => {
    const known = await registerUser(api);
    const inactive = await registerUser(api);
    await api.db('users').where({ id: inactive.id }).update({ is_active: false });
    const unknownEmail = `ghost-${randomBytes(4).toString('hex')}@example.com`;
    const total = smtp.messages().length;

    const unknown = await requestReset(unknownEmail);
    const disabled = await requestReset(inactive.email, '/api/v1/users');
    const existing = await requestReset(known.email);
    for (const response of [unknown, disabled]) {
      expect(response.status).toBe(existing.status);
      expect(response.body).toEqual(existing.body);
      expect(response.headers['content-type']).toBe(existing.headers['content-type']);
    }

    await smtp.waitForMail(known.email);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.mailsTo(unknownEmail)).toHaveLength(0);
    expect(smtp.mailsTo(inactive.email)).toHaveLength(0);
    expect(smtp.messages()).toHaveLength(total + 1);
    expect(await api.db('password_reset_tokens').where({ user_id: inactive.id })).toHaveLength(0);
  });

  it('When the email is given in another case, then the mail goes to the stored address', async () => {
    const user = await registerUser(api);
    const link = await mailedLink(user, user.email.toUpperCase());
    expect(link.uid).toBe(Buffer.from(String(user.id)).toString('base64url'));
  });

  it('When a token is issued, then only its sha256 digest is stored', async () => {
    const user = await registerUser(api);
    const { token } = await mailedLink(user);
    const rows = await api.db('password_reset_tokens').where({ user_id: user.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('When the token is confirmed, then the password changes, every session is revoked and the token is spent', async () => {
    const user = await registerUser(api);
    const link = await mailedLink(user);

    const response = await confirm(withPassword(link));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ message: 'Password reset successful.' });

    const oldAccess = await request(api.app).get('/api/v1/auth/profile/').set(bearer(user.access));
    expect(oldAccess.status).toBe(401);
    expect(oldAccess.body.code).toBe('token_not_valid');
    expect((await request(api.app).post('/api/v1/auth/token/refresh/').send({ refresh: user.refresh })).status).toBe(401);
    expect((await login(user.email, user.password)).status).toBe(401);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);

    const again = await confirm(withPassword(link, 'Another-Fresh-Phrase-19'));
    expect(again.status).toBe(400);
    expect(again.body).toEqual(INVALID_TOKEN);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('When the token has expired, then 400 invalid_token and the password stays', async () => {
    const user = await registerUser(api);
    const link = await mailedLink(user);
    await api.db('password_reset_tokens').where({ user_id: user.id }).update({ expires_at: api.db.raw("now() - interval '1 second'") });
    const response = await confirm(withPassword(link));
    expect(response.status).toBe(400);
    expect(response.body).toEqual(INVALID_TOKEN);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it('When the uid is wrong, unknown or undecodable, or the token altered, then 400 invalid_token', async () => {
    const user = await registerUser(api);
    const other = await registerUser(api);
    const link = await mailedLink(user);
    const uids = [Buffer.from(String(other.id)).toString('base64url'), Buffer.from('99999999').toString('base64url'), '!!!', 'MA', "1' OR '1'='1"];
    for (const uid of uids) {
      const response = await confirm(withPassword({ uid, token: link.token }));
      expect(response.status).toBe(400);
      expect(response.body).toEqual(INVALID_TOKEN);
    }
    const tampered = await confirm(withPassword({ uid: link.uid, token: `${link.token.slice(0, -1)}${link.token.endsWith('A') ? 'B' : 'A'}` }));
    expect(tampered.body).toEqual(INVALID_TOKEN);
    // None of that used the real token up.
    expect((await confirm(withPassword(link))).status).toBe(200);
    expect((await login(other.email, other.password)).status).toBe(200);
  });

  it('When the new password is weak, then 400 field errors and the token stays usable', async () => {
    const user = await registerUser(api);
    const link = await mailedLink(user);
    const weak = await confirm(withPassword(link, 'password'));
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual({ new_password: ['This password is too common.'], code: 'invalid' });

    const similar = await confirm(withPassword(link, `${user.username}!X`));
    expect(similar.status).toBe(400);
    expect(similar.body).toEqual({ new_password: [expect.stringMatching(/^The password is too similar to the (email address|username)\.$/)], code: 'invalid' });

    expect((await confirm(withPassword(link), '/api/v1/users')).status).toBe(200);
  });

  it('When the confirmation does not match, then 400 non_field_errors and the token stays usable', async () => {
    const user = await registerUser(api);
    const link = await mailedLink(user);
    const response = await confirm(withPassword(link, NEW_PASSWORD, `${NEW_PASSWORD}?`));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ non_field_errors: ["Passwords don't match."], code: 'invalid' });
    expect((await confirm(withPassword(link))).status).toBe(200);
  });

  it('When a second link is requested, then the first one no longer works', async () => {
    const user = await registerUser(api);
    const first = await mailedLink(user);
    const second = await mailedLink(user);
    expect(second.token).not.toBe(first.token);
    expect((await confirm(withPassword(first))).body).toEqual(INVALID_TOKEN);
    expect((await confirm(withPassword(second))).status).toBe(200);
  });

  it('When fields are missing or of the wrong type, then 400 field errors', async () => {
    const missing = await confirm({});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      uid: ['This field is required.'],
      token: ['This field is required.'],
      new_password: ['This field is required.'],
      new_password_confirm: ['This field is required.'],
      code: 'invalid',
    });
    const noEmail = await request(api.app).post('/api/v1/auth/password/reset/').send({ email: ['a@example.com'] });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body).toEqual({ email: ['Not a valid string.'], code: 'invalid' });
  });
});
