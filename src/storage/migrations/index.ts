import type { Migration, MigrationProvider } from "kysely/migration"
import { init } from "./0001-init.ts"

/** Every migration in order; names sort lexically, so keep the 4-digit prefix. */
export const migrations: Record<string, Migration> = {
  "0001-init": init,
}

/** Kysely migration provider over the in-code list (no file-system scanning). */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}
