import type { Knex } from 'knex';

/**
 * Runs `work` once the transaction has committed, and never when it rolls back: for side effects outside
 * the database (a cache bump) that must not announce a change which might still be undone.
 * @param onError where a failure of `work` goes; it cannot reach the caller, whose transaction has ended
 */
export function afterCommit(trx: Knex.Transaction, work: () => Promise<void>, onError: (error: unknown) => void): void {
  trx.executionPromise.then(
    () => work().catch(onError),
    () => undefined,
  );
}
