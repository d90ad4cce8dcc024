import type { Migration, MigrationProvider } from "kysely/migration"
import { init } from "./0001-init.ts"
import { searchAndImports } from "./0002-search-and-imports.ts"
import { apiTokens } from "./0003-api-tokens.ts"
import { fileRead } from "./0004-file-read.ts"

/** Every migration in order; names sort lexically, so keep the 4-digit prefix. */
export const migrations: Record<string, Migration> = {
  "0001-init": init,
  "0002-search-and-imports": searchAndImports,
  "0003-api-tokens": apiTokens,
  "0004-file-read": fileRead,
}

/** Kysely migration provider over the in-code list (no file-system scanning). */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations
  },
}
