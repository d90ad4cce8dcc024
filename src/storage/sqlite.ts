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
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true })
  const database = new BetterSqlite3(file)
  database.pragma("journal_mode = WAL")
  database.pragma("synchronous = NORMAL")
  database.pragma("busy_timeout = 5000")
  database.pragma("foreign_keys = ON")
  database.pragma("cache_size = -64000")
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) })
  if (file === ":memory:") {
    await migrate(db)
    return db
  }
  // Several processes may open a fresh data dir at once (`spool serve` and `spool run`); Kysely's
  // SQLite migration lock is in-process only, so migrations also hold a file lock.
  const release = await lockfile.lock(file, {
    lockfilePath: `${file}.migrate.lock`,
    realpath: false,
    stale: 30_000,
    retries: { retries: 300, minTimeout: 20, maxTimeout: 200 },
  })
  try {
    await migrate(db)
  } finally {
    await release()
  }
  return db
}

/** Applies every pending migration; throws the first migration error. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}
