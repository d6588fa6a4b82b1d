import { z } from 'zod';
import { email, optionalText, password, requiredText } from '../../http/fields';
import {
  loginExample,
  passwordChangeExample,
  passwordResetConfirmExample,
  profileUpdateExample,
  registerExample,
  tokenPairExample,
  userExample,
} from './examples';

const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;
const USERNAME_MESSAGE = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';

const username = requiredText(150, (value) => value.regex(USERNAME_PATTERN, { message: USERNAME_MESSAGE }));

export const registerBody = z.object({
  email: email(),
  username,
  first_name: optionalText(150),
  last_name: optionalText(150),
  password: password(),
  password_confirm: password(),
}).meta({ example: registerExample });

export const loginBody = z.object({ email: email(), password: password() }).meta({ example: loginExample });

export const refreshBody = z.object({ refresh: z.string().min(1) }).meta({ example: { refresh: tokenPairExample.refresh } });

export const logoutBody = z.object({
  refresh_token: z.string().min(1).optional().meta({ description: 'Refresh token of the session to end (the old field name). Optional: the access token\'s session always ends.' }),
}).meta({ example: { refresh_token: tokenPairExample.refresh } });

export const passwordChangeBody = z.object({
  old_password: password(),
  new_password: password(),
  new_password_confirm: password(),
}).meta({ example: passwordChangeExample });

export const passwordResetBody = z.object({ email: email() }).meta({ example: { email: 'ada@example.com' } });

export const passwordResetConfirmBody = z.object({
  uid: z.string().min(1).max(64),
  token: z.string().min(1).max(256),
  new_password: password(),
  new_password_confirm: password(),
}).meta({ example: passwordResetConfirmExample });

export const profileUpdateBody = z.object({
  username: username.optional(),
  first_name: optionalText(150),
  last_name: optionalText(150),
}).meta({ example: profileUpdateExample });

export const userSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    username: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    date_joined: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'User', example: userExample });

export const tokenPairSchema = z
  .object({ refresh: z.string(), access: z.string() })
  .meta({ id: 'TokenPair', example: tokenPairExample, description: 'A JWT pair: `access` (JWT_ACCESS_TTL, 15 minutes by default) and `refresh` (JWT_REFRESH_TTL, 7 days by default; works once, rotated on use).' });

export const registerResponse = z
  .object({ user: userSchema, refresh: z.string(), access: z.string() })
  .meta({ id: 'RegisterResponse', example: { user: userExample, ...tokenPairExample } });

export const loginResponse = z
  .object({ refresh: z.string(), access: z.string(), user: userSchema })
  .meta({ id: 'LoginResponse', example: { ...tokenPairExample, user: userExample } });

export const passwordChangeResponse = z
  .object({ message: z.string(), refresh: z.string(), access: z.string() })
  .meta({ id: 'PasswordChangeResponse', example: { message: 'Password changed successfully.', ...tokenPairExample }, description: 'Every session was revoked; this pair starts a new one.' });

export type RegisterInput = z.output<typeof registerBody>;
export type LoginInput = z.output<typeof loginBody>;
export type PasswordChangeInput = z.output<typeof passwordChangeBody>;
export type PasswordResetConfirmInput = z.output<typeof passwordResetConfirmBody>;
export type ProfileUpdateInput = z.output<typeof profileUpdateBody>;
export type UserProfile = z.output<typeof userSchema>;
