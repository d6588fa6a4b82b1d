import { Model } from 'objection';

export interface UserRow {
  id: number;
  email: string;
  username: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string;
  last_login: string | null;
  password_changed_at: string;
  updated_at: string;
}

export class User extends Model implements UserRow {
  static override tableName = 'users';

  id!: number;
  email!: string;
  username!: string;
  password_hash!: string;
  first_name!: string;
  last_name!: string;
  is_active!: boolean;
  is_staff!: boolean;
  is_superuser!: boolean;
  date_joined!: string;
  last_login!: string | null;
  password_changed_at!: string;
  updated_at!: string;
}

export interface AuthSessionRow {
  id: string;
  user_id: number;
  created_at: string;
  last_refreshed_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip_address: string | null;
}

export class AuthSession extends Model implements AuthSessionRow {
  static override tableName = 'auth_sessions';

  id!: string;
  user_id!: number;
  created_at!: string;
  last_refreshed_at!: string | null;
  revoked_at!: string | null;
  revoked_reason!: string | null;
  user_agent!: string | null;
  ip_address!: string | null;
}

export interface RefreshTokenRow {
  jti: string;
  session_id: string;
  issued_at: string;
  expires_at: string;
  rotated_at: string | null;
}

export class RefreshToken extends Model implements RefreshTokenRow {
  static override tableName = 'refresh_tokens';
  static override idColumn = 'jti';

  jti!: string;
  session_id!: string;
  issued_at!: string;
  expires_at!: string;
  rotated_at!: string | null;
}

export interface PasswordResetTokenRow {
  id: number;
  user_id: number;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export class PasswordResetToken extends Model implements PasswordResetTokenRow {
  static override tableName = 'password_reset_tokens';

  id!: number;
  user_id!: number;
  token_hash!: string;
  created_at!: string;
  expires_at!: string;
  used_at!: string | null;
}
