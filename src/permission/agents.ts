import type { Config } from "../config/index.ts"
import { rulesFromConfig } from "./config.ts"
import { mergeRulesets, type Ruleset } from "./rule.ts"

/**
 * Rules every agent starts from: OpenCode 1.18's defaults (`agent/agent.ts`) adapted to Spool.
 * - `*` allow: tools run without asking unless a rule says otherwise;
 * - `doom_loop` ask (kept for config compatibility; Spool does not detect repeated calls yet);
 * - `read` of `*.env` / `*.env.*` ask, except `*.env.example` (secrets are not read silently).
 * OpenCode's `external_directory` rules are left out: Spool's file tools refuse paths outside the
 * session directory whatever the rules say, so there is nothing to ask about. Its `question`,
 * `plan_enter` and `plan_exit` tools do not exist in Spool.
 */
export const DEFAULT_RULES: Ruleset = rulesFromConfig({
  "*": "allow",
  doom_loop: "ask",
  read: { "*": "allow", "*.env": "ask", "*.env.*": "ask", "*.env.example": "allow" },
})

/**
 * Built-in agents and the rules they add over the defaults. `build` is the default agent;
 * `plan` (as OpenCode's) may read, search and run commands but not edit files: `write` and `edit` are
 * denied and therefore not offered to the model.
 */
export const BUILTIN_AGENTS: Record<string, { description: string; rules: Ruleset }> = {
  build: { description: "The default agent. Executes tools based on configured permissions.", rules: [] },
  plan: { description: "Plan mode. Disallows all edit tools.", rules: rulesFromConfig({ edit: "deny" }) },
}

/** Names of the agents a prompt may name: the built-ins plus every `agent.<name>` of the config, sorted. */
export function knownAgents(config: Config): string[] {
  return [...new Set([...Object.keys(BUILTIN_AGENTS), ...Object.keys(config.agent ?? {})])].sort()
}

/**
 * The merged rules of an agent, in OpenCode's order (later wins): defaults, the built-in agent's own
 * rules, the config's top-level `permission`, then `agent.<name>.permission`. Returns `undefined` for an
 * agent that is neither built in nor configured. The session's rules and per-prompt rules go after
 * these (see `turnRuleset`).
 */
export function agentRuleset(config: Config, agent: string): Ruleset | undefined {
  const builtin = BUILTIN_AGENTS[agent]
  const configured = config.agent?.[agent]
  if (!builtin && !configured) return undefined
  return mergeRulesets(DEFAULT_RULES, builtin?.rules ?? [], rulesFromConfig(config.permission), rulesFromConfig(configured?.permission))
}

/**
 * The rules a turn evaluates, later winning: the agent's (`agentRuleset`; an unknown agent gets the
 * defaults plus config), the session's `permission` rules (from `POST`/`PATCH /session` and `always`
 * replies), then the prompt's own rules (its `tools` map).
 */
export function turnRuleset(config: Config, agent: string, session: Ruleset | undefined, prompt: Ruleset): Ruleset {
  const base = agentRuleset(config, agent) ?? mergeRulesets(DEFAULT_RULES, rulesFromConfig(config.permission))
  return mergeRulesets(base, session ?? [], prompt)
}
