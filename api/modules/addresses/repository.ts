import type { Knex } from 'knex';
import { raw } from 'objection';
import { Address, type AddressRow } from './model';
import type { Ordering } from '../../http/ordering';
import type { AddressInput, AddressPatch } from './schemas';

/** Owner-scoped queries: every read and write names the user, so one user can never reach another's rows. */
export class AddressRepository {
  constructor(private readonly db: Knex) {}

  async count(userId: number): Promise<number> {
    return Address.query(this.db).where('user_id', userId).resultSize();
  }

  async list(userId: number, ordering: Ordering, limit: number, offset: number): Promise<AddressRow[]> {
    return Address.query(this.db)
      .where('user_id', userId)
      .orderBy(ordering.column, ordering.direction)
      .orderBy('id', 'asc')
      .limit(limit)
      .offset(offset);
  }

  async find(userId: number, id: number, trx?: Knex.Transaction): Promise<AddressRow | undefined> {
    return Address.query(trx ?? this.db).findOne({ id, user_id: userId });
  }

  async findDefault(userId: number): Promise<AddressRow | undefined> {
    return Address.query(this.db).findOne({ user_id: userId, is_default: true });
  }

  /** Serialises default-address changes of one user (advisory lock held until the transaction ends). */
  async lockUser(userId: number, trx: Knex.Transaction): Promise<void> {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended('addresses:' || ?::text, 0))", [userId]);
  }

  async clearDefault(userId: number, trx: Knex.Transaction): Promise<void> {
    await Address.query(trx).patch({ is_default: false, updated_at: raw('now()') }).where({ user_id: userId, is_default: true });
  }

  async insert(userId: number, input: AddressInput, trx: Knex.Transaction): Promise<AddressRow> {
    return Address.query(trx)
      .insert({ ...input, address_line_2: input.address_line_2 ?? '', is_default: input.is_default ?? false, user_id: userId })
      .returning('*');
  }

  async update(userId: number, id: number, patch: AddressPatch, trx: Knex.Transaction): Promise<AddressRow | undefined> {
    const [row] = await Address.query(trx)
      .patch({ ...patch, updated_at: raw('now()') })
      .where({ id, user_id: userId })
      .returning('*');
    return row;
  }

  async delete(userId: number, id: number): Promise<boolean> {
    return (await Address.query(this.db).delete().where({ id, user_id: userId })) === 1;
  }
}
