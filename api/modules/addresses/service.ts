import type { Knex } from 'knex';
import { NotFoundError } from '../../errors';
import type { AddressRow } from './model';
import { parseOrdering as parseWhitelisted, sameNameColumns, type Ordering } from '../../http/ordering';
import type { AddressRepository } from './repository';
import { ADDRESS_ORDERING_FIELDS, type AddressInput, type AddressPatch } from './schemas';

const NO_ADDRESS = 'No Address matches the given query.';
const NO_DEFAULT = 'No default address found.';

/** 404 for a caller without a default address, with the old `message` key. */
export function noDefaultAddress(): NotFoundError {
  return new NotFoundError(NO_DEFAULT, 'not_found', { message: NO_DEFAULT });
}

/** `?ordering=-city` → city descending; unknown fields fall back to insertion order, as DRF ignored them. */
const ADDRESS_COLUMNS = sameNameColumns(ADDRESS_ORDERING_FIELDS);

export function parseOrdering(value: string | undefined): Ordering {
  return parseWhitelisted(value, ADDRESS_COLUMNS, { column: 'id', direction: 'asc' });
}

/**
 * A user's address book. At most one address is the default (a partial unique index guarantees it);
 * changes to the default take a per-user lock so concurrent requests cannot trip over each other.
 */
export class AddressService {
  constructor(private readonly deps: { db: Knex; addresses: AddressRepository }) {}

  count(userId: number): Promise<number> {
    return this.deps.addresses.count(userId);
  }

  list(userId: number, ordering: Ordering, limit: number, offset: number): Promise<AddressRow[]> {
    return this.deps.addresses.list(userId, ordering, limit, offset);
  }

  /** @param trx the caller's transaction, when it has one (a second pool connection could starve the pool) */
  async get(userId: number, id: number, trx?: Knex.Transaction): Promise<AddressRow> {
    const address = await this.deps.addresses.find(userId, id, trx);
    if (!address) throw new NotFoundError(NO_ADDRESS);
    return address;
  }

  async getDefault(userId: number): Promise<AddressRow> {
    const address = await this.deps.addresses.findDefault(userId);
    if (!address) throw noDefaultAddress();
    return address;
  }

  async create(userId: number, input: AddressInput): Promise<AddressRow> {
    return this.deps.db.transaction(async (trx) => {
      if (input.is_default) {
        await this.deps.addresses.lockUser(userId, trx);
        await this.deps.addresses.clearDefault(userId, trx);
      }
      return this.deps.addresses.insert(userId, input, trx);
    });
  }

  async update(userId: number, id: number, patch: AddressPatch): Promise<AddressRow> {
    const updated = await this.deps.db.transaction(async (trx) => {
      if (patch.is_default) {
        await this.deps.addresses.lockUser(userId, trx);
        if (!(await this.deps.addresses.find(userId, id, trx))) return undefined;
        await this.deps.addresses.clearDefault(userId, trx);
      }
      return this.deps.addresses.update(userId, id, patch, trx);
    });
    if (!updated) throw new NotFoundError(NO_ADDRESS);
    return updated;
  }

  async setDefault(userId: number, id: number): Promise<void> {
    await this.update(userId, id, { is_default: true });
  }

  async delete(userId: number, id: number): Promise<void> {
    if (!(await this.deps.addresses.delete(userId, id))) throw new NotFoundError(NO_ADDRESS);
  }
}
