import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { Kysely, SqliteDialect } from "kysely"
import { Migrator } from "kysely/migration"
import lockfile from "proper-lockfile"
import type { Database } from "./database.ts"
import { migrationProvider } from "./migrations/index.ts"

/**
 * Opens (creating if needed) the embedded SQLite database at `file` (`:memory:` allowed) and runs
 * pending migrations. Pragmas as OpenCode (spec 3.1): WAL, `synchronous=NORMAL`, 5 s busy timeout,
 * foreign keys on.
 *
 * @throws when the file cannot be opened or a migration fails (start-up must stop then).
 */
export async function openSqlite(file: string): Promise<Kysely<Database>> {
  if (file === ":memory:") {
    const db = connect(file)
    await migrate(db)
    return db
  }
  mkdirSync(dirname(file), { recursive: true })
  // Several processes may open a fresh data dir at once (`spool serve` and `spool run`): switching a
  // new file to WAL and migrating it both need it to themselves (Kysely's migration lock is in-process
  // only), so both happen under a file lock.
  const release = await lockfile.lock(file, {
    lockfilePath: `${file}.migrate.lock`,
    realpath: false,
    stale: 30_000,
    retries: { retries: 300, minTimeout: 20, maxTimeout: 200 },
  })
  try {
    const db = connect(file)
    await migrate(db)
    return db
  } finally {
    await release()
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
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: cacheStatements(database) }) })
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
