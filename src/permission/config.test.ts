import { describe, expect, test } from "vitest"
import type { Config } from "../config/index.ts"
import { agentRuleset, knownAgents, turnRuleset } from "./agents.ts"
import { rulesFromConfig, rulesFromTools } from "./config.ts"
import { disabledTools, evaluate } from "./rule.ts"

describe("rulesFromConfig (OpenCode's fromConfig)", () => {
  test("an action per permission, pattern maps in key order", () => {
    expect(rulesFromConfig({ bash: { "*": "allow", rm: "deny" }, edit: "allow", webfetch: "ask" })).toEqual([
      { permission: "bash", pattern: "*", action: "allow" },
      { permission: "bash", pattern: "rm", action: "deny" },
      { permission: "edit", pattern: "*", action: "allow" },
      { permission: "webfetch", pattern: "*", action: "ask" },
    ])
  })
  test("one action for everything", () => {
    expect(rulesFromConfig("ask")).toEqual([{ permission: "*", pattern: "*", action: "ask" }])
    expect(rulesFromConfig(undefined)).toEqual([])
  })
  test("top-level order decides (no specificity sorting)", () => {
    expect(evaluate("bash", "ls", rulesFromConfig({ "*": "deny", bash: "allow" })).action).toBe("allow")
    expect(evaluate("bash", "ls", rulesFromConfig({ bash: "allow", "*": "deny" })).action).toBe("deny")
    const documented = rulesFromConfig({ "*": "ask", bash: "allow", edit: "deny" })
    expect(evaluate("read", "foo.ts", documented).action).toBe("ask")
    const git = rulesFromConfig({ bash: { "*": "deny", "git *": "allow" } })
    expect(evaluate("bash", "rm foo", git).action).toBe("deny")
    expect(evaluate("bash", "git status", git).action).toBe("allow")
  })
  test("`write`/`patch` name the edit permission; `~/` and `$HOME` expand", () => {
    expect(rulesFromConfig({ write: "deny", patch: "ask" }).map((rule) => rule.permission)).toEqual(["edit", "edit"])
    expect(rulesFromConfig({ read: { "~/notes/*": "deny", "$HOME/x": "allow" } }, "/home/me")).toEqual([
      { permission: "read", pattern: "/home/me/notes/*", action: "deny" },
      { permission: "read", pattern: "/home/me/x", action: "allow" },
    ])
  })
  test("a prompt's tools map: false → deny, true → allow", () => {
    expect(rulesFromTools({ bash: false, write: false, read: true })).toEqual([
      { permission: "bash", pattern: "*", action: "deny" },
      { permission: "edit", pattern: "*", action: "deny" },
      { permission: "read", pattern: "*", action: "allow" },
    ])
  })
})

describe("agent rules", () => {
  const config: Config = { permission: { bash: { "*": "ask", "git status*": "allow" } }, agent: { reviewer: { permission: { edit: "deny" } } } }

  test("defaults: everything allowed, .env files asked except examples", () => {
    const rules = agentRuleset({}, "build")!
    expect(evaluate("bash", "npm test", rules).action).toBe("allow")
    expect(evaluate("read", "src/.env", rules).action).toBe("ask")
    expect(evaluate("read", ".env.production", rules).action).toBe("ask")
    expect(evaluate("read", ".env.example", rules).action).toBe("allow")
    expect(evaluate("doom_loop", "*", rules).action).toBe("ask")
  })
  test("config over defaults, agent config over config, session and prompt rules last", () => {
    const build = agentRuleset(config, "build")!
    expect(evaluate("bash", "git status --short", build).action).toBe("allow")
    expect(evaluate("bash", "rm -rf x", build).action).toBe("ask")
    expect(evaluate("edit", "a.ts", agentRuleset(config, "reviewer")!).action).toBe("deny")
    const turn = turnRuleset(config, "build", [{ permission: "bash", pattern: "rm *", action: "allow" }], rulesFromTools({ read: false }))
    expect(evaluate("bash", "rm -rf x", turn).action).toBe("allow")
    expect(disabledTools(["read", "bash"], turn)).toEqual(new Set(["read"]))
  })
  test("plan denies edits, so write and edit are not offered", () => {
    expect(disabledTools(["bash", "edit", "write", "read"], agentRuleset({}, "plan")!)).toEqual(new Set(["edit", "write"]))
  })
  test("known agents: built-ins plus config; others are unknown", () => {
    expect(knownAgents(config)).toEqual(["build", "plan", "reviewer"])
    expect(agentRuleset(config, "nope")).toBeUndefined()
  })
})
