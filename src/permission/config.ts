import os from "node:os"
import type { PermissionConfig } from "../config/index.ts"
import { toolPermission, type Ruleset } from "./rule.ts"

/**
 * Rules from a config `permission` value (top level or `agent.<name>.permission`), in the order the
 * config lists them, after OpenCode 1.18 `Permission.fromConfig`:
 * - a single action → `{permission: "*", pattern: "*", action}`;
 * - `name: action` → `{permission: name, pattern: "*", action}`;
 * - `name: {pattern: action, …}` → one rule per entry, in key order;
 * - a pattern starting with `~/` or `$HOME` has the home directory substituted (`home`, default the
 *   user's);
 * - `write`, `patch`, `apply_patch`, `multiedit` name the `edit` permission (OpenCode's edit tools).
 *
 * Because the last matching rule wins, order matters: `{"*": "ask", "bash": "allow"}` allows bash,
 * `{"bash": "allow", "*": "ask"}` asks for it.
 */
export function rulesFromConfig(permission: PermissionConfig | undefined, home: string = os.homedir()): Ruleset {
  if (permission === undefined) return []
  if (typeof permission === "string") return [{ permission: "*", pattern: "*", action: permission }]
  const rules: Ruleset = []
  for (const [name, setting] of Object.entries(permission)) {
    const key = toolPermission(name)
    if (typeof setting === "string") {
      rules.push({ permission: key, pattern: "*", action: setting })
      continue
    }
    for (const [pattern, action] of Object.entries(setting)) rules.push({ permission: key, pattern: expandHome(pattern, home), action })
  }
  return rules
}

/**
 * Rules from a prompt's deprecated `tools: {name: enabled}` map (OpenCode converts it the same way):
 * `false` → deny the tool's permission for every pattern, `true` → allow it.
 */
export function rulesFromTools(tools: Record<string, boolean> | undefined): Ruleset {
  if (!tools) return []
  return Object.entries(tools).map(([tool, enabled]) => ({ permission: toolPermission(tool), pattern: "*", action: enabled ? "allow" : "deny" }))
}

function expandHome(pattern: string, home: string): string {
  if (pattern === "~") return home
  if (pattern.startsWith("~/")) return home + pattern.slice(1)
  if (pattern.startsWith("$HOME")) return home + pattern.slice(5)
  return pattern
}
