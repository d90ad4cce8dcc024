import { describe, expect, test } from "vitest"
import { disabledTools, evaluate, mergeRulesets, type Ruleset } from "./rule.ts"
import { matchWildcard } from "./wildcard.ts"

/** Examples from OpenCode 1.18's `test/permission/next.test.ts` and `util/wildcard` semantics. */
describe("matchWildcard", () => {
  test("`*` matches anything, slashes and spaces included; `?` one character", () => {
    expect(matchWildcard("/bin/rm", "*")).toBe(true)
    expect(matchWildcard("src/components/Button.tsx", "src/*")).toBe(true)
    expect(matchWildcard("a.ts", "?.ts")).toBe(true)
    expect(matchWildcard("ab.ts", "?.ts")).toBe(false)
  })
  test("anchored; regex characters are literal", () => {
    expect(matchWildcard("xrm", "rm")).toBe(false)
    expect(matchWildcard("fileXenv", "file.env")).toBe(false)
    expect(matchWildcard("a+b(c)", "a+b(c)")).toBe(true)
  })
  test("a trailing ` *` also matches the bare command", () => {
    expect(matchWildcard("git status", "git status *")).toBe(true)
    expect(matchWildcard("git status --short", "git status *")).toBe(true)
    expect(matchWildcard("git statusx", "git status *")).toBe(false)
  })
  test(".env patterns", () => {
    expect(matchWildcard("config/.env", "*.env")).toBe(true)
    expect(matchWildcard(".env.local", "*.env.*")).toBe(true)
    expect(matchWildcard(".env.example", "*.env.example")).toBe(true)
  })
})

describe("evaluate (last matching rule wins; no match → ask)", () => {
  test("exact, wildcard, order", () => {
    expect(evaluate("bash", "rm", [{ permission: "bash", pattern: "rm", action: "deny" }]).action).toBe("deny")
    expect(evaluate("bash", "rm", [{ permission: "bash", pattern: "*", action: "allow" }, { permission: "bash", pattern: "rm", action: "deny" }]).action).toBe("deny")
    expect(evaluate("bash", "rm", [{ permission: "bash", pattern: "rm", action: "deny" }, { permission: "bash", pattern: "*", action: "allow" }]).action).toBe("allow")
    expect(evaluate("bash", "/bin/rm", [{ permission: "bash", pattern: "*", action: "allow" }, { permission: "bash", pattern: "/bin/rm", action: "deny" }]).action).toBe("deny")
  })
  test("globs on paths: the later rule wins, not the more specific one", () => {
    const path = "src/components/Button.tsx"
    expect(evaluate("edit", path, [{ permission: "edit", pattern: "src/*", action: "deny" }, { permission: "edit", pattern: "src/components/*", action: "allow" }]).action).toBe("allow")
    expect(evaluate("edit", path, [{ permission: "edit", pattern: "src/components/*", action: "allow" }, { permission: "edit", pattern: "src/*", action: "deny" }]).action).toBe("deny")
  })
  test("no rule, unknown permission, non-matching pattern → ask", () => {
    expect(evaluate("bash", "rm", []).action).toBe("ask")
    expect(evaluate("unknown_tool", "x", [{ permission: "bash", pattern: "*", action: "allow" }]).action).toBe("ask")
    expect(evaluate("edit", "etc/passwd", [{ permission: "edit", pattern: "src/*", action: "allow" }])).toEqual({ permission: "edit", pattern: "*", action: "ask" })
  })
  test("wildcard permissions", () => {
    expect(evaluate("bash", "rm", [{ permission: "*", pattern: "*", action: "deny" }]).action).toBe("deny")
    expect(evaluate("mcp_server_tool", "x", [{ permission: "mcp_*", pattern: "*", action: "allow" }]).action).toBe("allow")
    const rules: Ruleset = [
      { permission: "*", pattern: "*", action: "ask" },
      { permission: "mcp_*", pattern: "*", action: "allow" },
      { permission: "mcp_dangerous", pattern: "*", action: "deny" },
    ]
    expect(evaluate("mcp_dangerous", "x", rules).action).toBe("deny")
    expect(evaluate("bash", "rm", [{ permission: "bash", pattern: "*", action: "allow" }, { permission: "*", pattern: "*", action: "deny" }]).action).toBe("deny")
  })
  test("several rulesets are evaluated as one, in order", () => {
    const config: Ruleset = [{ permission: "bash", pattern: "*", action: "allow" }]
    const approved: Ruleset = [{ permission: "bash", pattern: "rm", action: "deny" }]
    expect(evaluate("bash", "rm", config, approved).action).toBe("deny")
    expect(mergeRulesets(config, approved)).toEqual([...config, ...approved])
  })
})

describe("disabledTools", () => {
  test("a tool whose last rule is `* deny` is removed; edit covers write", () => {
    const rules: Ruleset = [{ permission: "*", pattern: "*", action: "allow" }, { permission: "edit", pattern: "*", action: "deny" }]
    expect([...disabledTools(["bash", "edit", "write", "read"], rules)].sort()).toEqual(["edit", "write"])
  })
  test("partial denies, asks and a later allow keep the tool", () => {
    expect(disabledTools(["bash"], [{ permission: "bash", pattern: "*", action: "allow" }, { permission: "bash", pattern: "rm *", action: "deny" }]).size).toBe(0)
    expect(disabledTools(["bash", "edit"], [{ permission: "*", pattern: "*", action: "ask" }]).size).toBe(0)
    expect(disabledTools(["bash"], [{ permission: "bash", pattern: "*", action: "deny" }, { permission: "bash", pattern: "echo *", action: "allow" }]).size).toBe(0)
  })
  test("`*` deny disables everything but what is allowed after it", () => {
    const rules: Ruleset = [{ permission: "*", pattern: "*", action: "deny" }, { permission: "bash", pattern: "*", action: "allow" }]
    expect([...disabledTools(["bash", "edit", "read"], rules)].sort()).toEqual(["edit", "read"])
  })
})
