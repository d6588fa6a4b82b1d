import type { UserRow } from './model';
import type { UserProfile } from './schemas';

export function serializeUser(user: UserRow): UserProfile {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    date_joined: user.date_joined,
  };
}
