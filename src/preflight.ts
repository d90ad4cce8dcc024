import { dataDirectory } from "./config/paths.ts"
import { ensureDataDirectory } from "./storage/data-dir.ts"
import type { AppOptions } from "./app.ts"

/**
 * Checks, before the composition root is even loaded (about a second of module loading), what would
 * make `createApp` fail anyway: the data directory (`options.dataDir`, else `SPOOL_DATA_DIR` /
 * `XDG_DATA_HOME` / `~/.local/share/spool`) must exist or be creatable, and be writable. Imports only
 * `node:fs` helpers, so a bad directory is reported at once.
 *
 * @throws DataDirectoryError naming the directory and the problem (`EROFS`, `EACCES`, `ENOTDIR`…).
 */
export function checkDataDirectory(options: Pick<AppOptions, "dataDir" | "env"> = {}): void {
  ensureDataDirectory(options.dataDir ?? dataDirectory(options.env ?? process.env))
}
