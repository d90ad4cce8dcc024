import { matchWildcard } from "./wildcard.ts"

/** A permission action: run without asking, ask the user, or refuse (OpenCode's `PermissionAction`). */
export type PermissionAction = "allow" | "ask" | "deny"

/**
 * One rule (OpenCode's `PermissionRule`): `permission` and `pattern` are wildcards (see
 * `matchWildcard`) matched against a request's permission and each of its patterns.
 */
export interface PermissionRule {
  permission: string
  pattern: string
  action: PermissionAction
}

/** An ordered list of rules; later rules win. */
export type Ruleset = PermissionRule[]

/**
 * The rule deciding `permission` for `pattern`: the LAST rule of the concatenated rulesets whose
 * permission and pattern both match. No match → `{permission, pattern: "*", action: "ask"}`.
 * OpenCode 1.18 `permission/evaluate.ts`.
 */
export function evaluate(permission: string, pattern: string, ...rulesets: Ruleset[]): PermissionRule {
  const rules = rulesets.flat()
  for (let index = rules.length - 1; index >= 0; index--) {
    const rule = rules[index]
    if (matchWildcard(permission, rule.permission) && matchWildcard(pattern, rule.pattern)) return rule
  }
  return { permission, pattern: "*", action: "ask" }
}

/** Concatenates rulesets in order (later ones win on evaluation). OpenCode's `Permission.merge`. */
export function mergeRulesets(...rulesets: Ruleset[]): Ruleset {
  return rulesets.flat()
}

/** Tool names whose permission is `edit` (OpenCode's `EDIT_TOOLS`). */
const EDIT_TOOLS = new Set(["edit", "write", "patch", "apply_patch", "multiedit"])

/** The permission a tool asks for: `edit` for the file-changing tools, otherwise its own name. */
export function toolPermission(tool: string): string {
  return EDIT_TOOLS.has(tool) ? "edit" : tool
}

/**
 * The tools the ruleset denies entirely, so they are not offered to the model at all: the last rule
 * whose permission matches the tool's permission (whatever its pattern) has pattern `*` and action
 * `deny`. A later `allow` for some pattern (`bash: {"*": "deny", "echo *": "allow"}`) keeps the tool.
 * OpenCode 1.18 `Permission.disabled`.
 */
export function disabledTools(tools: string[], ruleset: Ruleset): Set<string> {
  const disabled = new Set<string>()
  for (const tool of tools) {
    const permission = toolPermission(tool)
    const rule = ruleset.findLast((candidate) => matchWildcard(permission, candidate.permission))
    if (rule && rule.pattern === "*" && rule.action === "deny") disabled.add(tool)
  }
  return disabled
}
