import { existsSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import type { ImportSource } from "./types.ts"

/** One place to import from. */
export interface ImportInput {
  source: ImportSource
  path: string
}

/**
 * The default locations of each tool's sessions (spec `transcript-formats.md` 1.1, 2.1, 3.1), the
 * ones that exist: Claude Code `$CLAUDE_CONFIG_DIR/projects` (each entry of a comma-separated list)
 * else `~/.claude/projects` and `~/.config/claude/projects`; Codex `$CODEX_HOME/sessions` and
 * `archived_sessions` (default `~/.codex`); OpenCode `$XDG_DATA_HOME/opencode` (default
 * `~/.local/share/opencode`): its `opencode.db`, and the legacy `storage/` tree when present.
 */
export function defaultInputs(env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? homedir()): ImportInput[] {
  const inputs: ImportInput[] = []
  const claudeRoots = env.CLAUDE_CONFIG_DIR ? env.CLAUDE_CONFIG_DIR.split(",").map((dir) => dir.trim()).filter(Boolean) : [join(home, ".claude"), join(home, ".config", "claude")]
  for (const root of claudeRoots) inputs.push({ source: "claude-code", path: join(root, "projects") })
  const codexHome = env.CODEX_HOME ?? join(home, ".codex")
  inputs.push({ source: "codex", path: join(codexHome, "sessions") }, { source: "codex", path: join(codexHome, "archived_sessions") })
  const opencode = join(env.XDG_DATA_HOME ?? join(home, ".local", "share"), "opencode")
  inputs.push({ source: "opencode", path: join(opencode, "opencode.db") }, { source: "opencode", path: join(opencode, "storage") })
  return inputs.filter((input) => existsSync(input.path))
}
