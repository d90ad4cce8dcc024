import { homedir } from "node:os"
import { join } from "node:path"

/**
 * Spool's data directory: `$SPOOL_DATA_DIR`, else `$XDG_DATA_HOME/spool`, else `~/.local/share/spool`.
 * Holds `spool.db` (and, later, snapshot git dirs).
 */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPOOL_DATA_DIR) return env.SPOOL_DATA_DIR
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, "spool")
  return join(homedir(), ".local", "share", "spool")
}

/**
 * Spool's global config directory: `$XDG_CONFIG_HOME/spool`, else `<home>/.config/spool`. Holds
 * `spool.json[c]` and the global `AGENTS.md`.
 */
export function configDirectory(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "spool")
}
