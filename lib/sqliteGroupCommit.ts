import type Database from 'better-sqlite3';

interface Queued {
  unit: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit on one better-sqlite3 connection. With `synchronous=FULL` every commit waits for
 * an fsync, which blocks the event loop; committing each write alone caps a busy process at a few
 * hundred writes a second. Units queued by concurrent callers in the same turn of the event loop
 * run in one transaction instead, each in its own savepoint (a unit that throws is rolled back
 * alone and only its promise rejects), and every promise settles only after the commit, so a
 * resolved write is as durable as before. Reads on the connection stay direct: a caller sees its
 * write once its promise has resolved.
 */
export class SqliteGroupCommit {
  private queue: Queued[] = [];
  private flushScheduled = false;

  constructor(private readonly db: Database.Database) {}

  /** Runs `unit` inside the next group commit and resolves with its result once that commit is durable. */
  write<T>(unit: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ unit, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also called before the connection closes). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          try {
            // A nested transaction is a savepoint: a failing unit rolls back only its own writes.
            outcomes.push({ ok: true, value: this.db.transaction(item.unit)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch happened.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
  }
}
