import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import BetterSqlite3 from "better-sqlite3"
import { Kysely, SqliteDialect } from "kysely"
import { Migrator } from "kysely/migration"
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
  await migrate(db)
  return db
}

/** Applies every pending migration; throws the first migration error. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}
