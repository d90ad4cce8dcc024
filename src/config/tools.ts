import type { AgentConfig } from "./schema.ts"

function wildcard(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")
  return new RegExp(`^${source}$`).test(name)
}

/**
 * Whether an agent's `tools` setting allows `tool`: the list form allows exactly the listed names
 * (`*` wildcards allowed) and nothing else; in the map form the last key matching the name decides, and
 * `undefined` means the setting does not mention the tool (keep the agent's default). No setting →
 * `undefined`.
 */
export function toolAllowed(tools: AgentConfig["tools"], tool: string): boolean | undefined {
  if (tools === undefined) return undefined
  if (Array.isArray(tools)) return tools.some((pattern) => wildcard(pattern, tool))
  let decision: boolean | undefined
  for (const [pattern, enabled] of Object.entries(tools)) if (wildcard(pattern, tool)) decision = enabled
  return decision
}
