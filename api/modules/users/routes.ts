import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { InvalidTokenError, ThrottledError } from '../../errors';
import { defineEndpoint, type Endpoint } from '../../http/endpoint';
import { messageSchema } from '../../http/fields';
import { duplicateError, oldPasswordIncorrect, type AccountService } from './account-service';
import { invalidCredentials, type AuthService, type ClientMeta } from './auth-service';
import { lockedOut } from './login-throttle';
import { invalidToken, type PasswordResetService } from './password-reset-service';
import { DuplicateUserError } from './repository';
import {
  loginBody,
  loginResponse,
  logoutBody,
  passwordChangeBody,
  passwordChangeResponse,
  passwordResetBody,
  passwordResetConfirmBody,
  profileUpdateBody,
  refreshBody,
  registerBody,
  registerResponse,
  tokenPairSchema,
  userSchema,
} from './schemas';
import { serializeUser } from './serializers';

export interface UsersRoutesDeps {
  accounts: AccountService;
  auth: AuthService;
  passwordReset: PasswordResetService;
  limits: { login: RequestHandler; register: RequestHandler; passwordReset: RequestHandler; passwordResetConfirm: RequestHandler; tokenRefresh: RequestHandler };
}

const TAGS = ['Authentication'];
const PASSWORD_RESET_SENT = 'If an account exists for this email, a password reset link has been sent.';

function clientMeta(req: Request): ClientMeta {
  return { ip: req.ip, userAgent: req.get('user-agent') };
}

export function usersEndpoints({ accounts, auth, passwordReset, limits }: UsersRoutesDeps): Endpoint[] {
  return [
    defineEndpoint({
      method: 'get',
      path: '/',
      summary: 'API root of the users router',
      tags: TAGS,
      access: 'public',
      responses: {
        200: {
          description: 'Links to the collections under this prefix',
          schema: z.object({ addresses: z.string() }),
          example: { addresses: 'http://127.0.0.1:8000/api/v1/users/addresses/' },
        },
      },
      handle: async ({ req }) => ({ status: 200, body: { addresses: `${req.protocol}://${req.host}/api/v1/users/addresses/` } }),
    }),
    defineEndpoint({
      method: 'post',
      path: '/register/',
      summary: 'Create an account and log it in',
      operationId: 'register',
      tags: TAGS,
      access: 'public',
      body: registerBody,
      middleware: [limits.register],
      invalidInput: { body: { email: 'ada@', username: 'ada lovelace', password: 'Analytical-Engine-1843', password_confirm: 'Analytical-Engine-1843' } },
      errors: [duplicateError(new DuplicateUserError('email')), new ThrottledError(3412)],
      responses: { 201: { description: 'The account and its first token pair', schema: registerResponse } },
      handle: async ({ req, body }) => {
        const { user, ...pair } = await accounts.register(body, clientMeta(req));
        return { status: 201, body: { user: serializeUser(user), ...pair } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/login/',
      summary: 'Exchange email and password for a token pair',
      operationId: 'login',
      tags: TAGS,
      access: 'public',
      body: loginBody,
      middleware: [limits.login],
      errors: [invalidCredentials(), lockedOut(840), new ThrottledError(212)],
      responses: { 200: { description: 'A token pair and the user', schema: loginResponse } },
      handle: async ({ req, body }) => {
        const { user, refresh, access } = await auth.login(body.email, body.password, clientMeta(req));
        return { status: 200, body: { refresh, access, user: serializeUser(user) } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/token/refresh/',
      summary: 'Rotate a refresh token into a new pair',
      description:
        'Each refresh token works once. Presenting a rotated token again revokes its whole session. The Authorization header is ignored here, so an expired access token sent along does no harm.',
      operationId: 'refreshToken',
      tags: TAGS,
      access: 'public',
      body: refreshBody,
      ignoresCredentials: true,
      middleware: [limits.tokenRefresh],
      errors: [new InvalidTokenError('Token is blacklisted', 'refresh'), new InvalidTokenError('Token is expired', 'refresh'), new ThrottledError(31)],
      responses: { 200: { description: 'A new token pair', schema: tokenPairSchema } },
      handle: async ({ body }) => {
        const { access, refresh } = await auth.refresh(body.refresh);
        return { status: 200, body: { access, refresh } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/logout/',
      summary: 'End the current session',
      operationId: 'logout',
      tags: TAGS,
      access: 'user',
      body: logoutBody,
      invalidInput: { body: { refresh_token: '' } },
      responses: { 205: { description: 'Logged out; the session\'s tokens no longer work', schema: messageSchema, example: { message: 'Successfully logged out' } } },
      handle: async ({ auth: caller, body }) => {
        await auth.logout(caller, body.refresh_token);
        return { status: 205, body: { message: 'Successfully logged out' } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/password/change/',
      summary: 'Change the password; every session is revoked and a new pair returned',
      operationId: 'changePassword',
      tags: TAGS,
      access: 'user',
      body: passwordChangeBody,
      errors: [oldPasswordIncorrect()],
      responses: { 200: { description: 'Password changed', schema: passwordChangeResponse } },
      handle: async ({ req, auth: caller, body }) => {
        const pair = await accounts.changePassword(caller, body, clientMeta(req));
        return { status: 200, body: { message: 'Password changed successfully.', ...pair } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/password/reset/',
      summary: 'Mail a password-reset link',
      description: 'Answers the same whether or not an account exists for the email.',
      operationId: 'requestPasswordReset',
      tags: TAGS,
      access: 'public',
      body: passwordResetBody,
      middleware: [limits.passwordReset],
      invalidInput: { body: { email: 'ada@' } },
      errors: [new ThrottledError(1620)],
      responses: { 200: { description: 'Accepted', schema: messageSchema, example: { message: PASSWORD_RESET_SENT } } },
      handle: async ({ body }) => {
        await passwordReset.request(body.email);
        return { status: 200, body: { message: PASSWORD_RESET_SENT } };
      },
    }),
    defineEndpoint({
      method: 'post',
      path: '/password/reset/confirm/',
      summary: 'Set a new password with a reset token',
      operationId: 'confirmPasswordReset',
      tags: TAGS,
      access: 'public',
      body: passwordResetConfirmBody,
      middleware: [limits.passwordResetConfirm],
      errors: [invalidToken(), new ThrottledError(2710)],
      responses: { 200: { description: 'Password reset; every session was revoked', schema: messageSchema, example: { message: 'Password reset successful.' } } },
      handle: async ({ body }) => {
        await passwordReset.confirm(body);
        return { status: 200, body: { message: 'Password reset successful.' } };
      },
    }),
    defineEndpoint({
      method: 'get',
      path: '/profile/',
      summary: 'The caller\'s profile',
      operationId: 'getProfile',
      tags: ['Profile'],
      access: 'user',
      responses: { 200: { description: 'Profile', schema: userSchema } },
      handle: async ({ auth: caller }) => ({ status: 200, body: serializeUser(await accounts.profile(caller.user.id)) }),
    }),
    defineEndpoint({
      method: 'patch',
      path: '/profile/update/',
      summary: 'Update username, first name or last name',
      operationId: 'updateProfile',
      tags: ['Profile'],
      access: 'user',
      body: profileUpdateBody,
      invalidInput: { body: { username: 'ada lovelace' } },
      errors: [duplicateError(new DuplicateUserError('username'))],
      responses: { 200: { description: 'Updated profile', schema: userSchema } },
      handle: async ({ auth: caller, body }) => ({ status: 200, body: serializeUser(await accounts.updateProfile(caller.user.id, body)) }),
    }),
  ];
}
