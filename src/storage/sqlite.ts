import { dirname } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { Kysely, SqliteDialect, SqliteDriver, type CompiledQuery, type DatabaseConnection, type QueryResult } from "kysely"
import { Migrator } from "kysely/migration"
import lockfile from "proper-lockfile"
import { sleep } from "../util/retry.ts"
import { toStorageError } from "../util/storage-full.ts"
import { dataDirectoryError, ensureDataDirectory } from "./data-dir.ts"
import type { Database } from "./database.ts"
import { migrationProvider } from "./migrations/index.ts"

/**
 * Opens (creating if needed) the embedded SQLite database at `file` (`:memory:` allowed) and runs
 * pending migrations. Pragmas as OpenCode (spec 3.1): WAL, `synchronous=NORMAL`, 5 s busy timeout,
 * foreign keys on. A directory Spool cannot write in fails at once (no lock retries): read-only,
 * unwritable, under a regular file, or full.
 *
 * Queries through the handle throw `StorageFullError` when the disk is full (`SQLITE_FULL`), and a
 * transaction that SQLite already rolled back itself reports its own error, not the failed `ROLLBACK`
 * ("cannot rollback - no transaction is active").
 *
 * @throws DataDirectoryError when the directory or database cannot be written; the migration's error
 * when a migration fails (start-up must stop then).
 */
export async function openSqlite(file: string): Promise<Kysely<Database>> {
  if (file === ":memory:") {
    const db = connect(file)
    await migrate(db)
    return db
  }
  const directory = dirname(file)
  ensureDataDirectory(directory)
  // Several processes may open a fresh data dir at once (`spool serve` and `spool run`): switching a
  // new file to WAL and migrating it both need it to themselves (Kysely's migration lock is in-process
  // only), so both happen under a file lock.
  const release = await lockForMigration(file).catch((error: unknown) => {
    throw dataDirectoryError(directory, error) ?? error
  })
  try {
    const db = connect(file)
    try {
      await migrate(db)
    } catch (error) {
      await db.destroy()
      throw error
    }
    return db
  } catch (error) {
    throw dataDirectoryError(directory, error) ?? error
  } finally {
    await release().catch(() => {})
  }
}

/** Waits for the migration lock of a busy database: 300 attempts, 20 ms doubling to 200 ms apart (~60 s). */
const LOCK_ATTEMPTS = 300
const LOCK_MIN_DELAY_MS = 20
const LOCK_MAX_DELAY_MS = 200

/**
 * Takes `<file>.migrate.lock` (proper-lockfile; a lock older than 30 s is stale and taken over). Only a
 * lock held by another process is waited for: any other failure (read-only or full file system, no
 * permission) is thrown at once — proper-lockfile's own `retries` would retry those too, for a minute.
 */
async function lockForMigration(file: string): Promise<() => Promise<void>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await lockfile.lock(file, { lockfilePath: `${file}.migrate.lock`, realpath: false, stale: 30_000 })
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ELOCKED" || attempt >= LOCK_ATTEMPTS) throw error
      await sleep(Math.min(LOCK_MIN_DELAY_MS * 2 ** (attempt - 1), LOCK_MAX_DELAY_MS))
    }
  }
}

/** A Kysely handle on one better-sqlite3 connection with Spool's pragmas (busy timeout first). */
function connect(file: string): Kysely<Database> {
  const database = new BetterSqlite3(file, { timeout: 5000 })
  database.pragma("busy_timeout = 5000")
  database.pragma("journal_mode = WAL")
  database.pragma("synchronous = NORMAL")
  database.pragma("foreign_keys = ON")
  database.pragma("cache_size = -64000")
  return new Kysely<Database>({ dialect: new SpoolSqliteDialect(cacheStatements(database)) })
}

/** Kysely's SQLite dialect with `SpoolSqliteDriver`. */
class SpoolSqliteDialect extends SqliteDialect {
  readonly #database: BetterSqlite3.Database
  constructor(database: BetterSqlite3.Database) {
    super({ database })
    this.#database = database
  }
  override createDriver() {
    return new SpoolSqliteDriver(this.#database)
  }
}

/**
 * Kysely's SQLite driver with two changes at the storage boundary:
 * - every query error passes through `toStorageError`, so a full disk (`SQLITE_FULL`) surfaces as the
 *   named `StorageFullError` (HTTP 507) wherever it is caught;
 * - `ROLLBACK` is skipped when SQLite has no transaction open any more. SQLite rolls a transaction back
 *   by itself on some errors (`SQLITE_FULL`, `SQLITE_IOERR`, `SQLITE_NOMEM`: sqlite.org/lang_transaction.html,
 *   "Response To Errors Within A Transaction"); Kysely's `transaction().execute` then issued its own
 *   `ROLLBACK`, whose "cannot rollback - no transaction is active" replaced the error that mattered.
 */
class SpoolSqliteDriver extends SqliteDriver {
  readonly #database: BetterSqlite3.Database
  #connection: DatabaseConnection | undefined
  constructor(database: BetterSqlite3.Database) {
    super({ database })
    this.#database = database
  }
  override async acquireConnection(): Promise<DatabaseConnection> {
    this.#connection ??= mapStorageErrors(await super.acquireConnection())
    return this.#connection
  }
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#database.inTransaction) return
    await super.rollbackTransaction(connection)
  }
}

/** `connection` with every failure of `executeQuery` and `streamQuery` mapped by `toStorageError`. */
function mapStorageErrors(connection: DatabaseConnection): DatabaseConnection {
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      try {
        return await connection.executeQuery<R>(query)
      } catch (error) {
        throw toStorageError(error)
      }
    },
    async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
      try {
        yield* connection.streamQuery<R>(query, chunkSize)
      } catch (error) {
        throw toStorageError(error)
      }
    },
  }
}

/** How many prepared statements `cacheStatements` keeps (distinct SQL texts; Spool issues a few dozen). */
const STATEMENT_CACHE_SIZE = 256

/**
 * Makes `database.prepare` reuse prepared statements, keyed by SQL text, least recently used evicted
 * first. Kysely's SQLite driver calls `prepare` for every query it runs, and compiling the SQL is a
 * good part of a simple query's cost. Safe to share because Kysely only calls `all`/`run`/`iterate`
 * (never `raw`/`pluck`/`expand`/`safeIntegers`, which would change a statement for later users), and
 * a statement still being iterated (`busy`) is never handed out twice: that caller gets a new one.
 */
export function cacheStatements(database: BetterSqlite3.Database, capacity = STATEMENT_CACHE_SIZE): BetterSqlite3.Database {
  const prepare = database.prepare.bind(database)
  const cache = new Map<string, BetterSqlite3.Statement>()
  database.prepare = ((source: string) => {
    const cached = cache.get(source)
    if (cached !== undefined) {
      cache.delete(source)
      if (!cached.busy) {
        cache.set(source, cached)
        return cached
      }
    }
    const statement = prepare(source)
    cache.set(source, statement)
    if (cache.size > capacity) cache.delete(cache.keys().next().value!)
    return statement
  }) as BetterSqlite3.Database["prepare"]
  return database
}

/** Applies every pending migration; throws the first migration error. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}
