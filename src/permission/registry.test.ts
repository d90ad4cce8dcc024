import { describe, expect, test } from "vitest"
import { createBus, type BusEvent } from "../bus/index.ts"
import { PermissionAbortedError, PermissionDeniedError, PermissionRejectedError } from "./errors.ts"
import { createPermissionRegistry } from "./registry.ts"
import type { Ruleset } from "./rule.ts"

function setup() {
  const bus = createBus()
  const events: BusEvent[] = []
  bus.subscribe((event) => events.push(event))
  const approved: Array<{ sessionID: string; rules: Ruleset }> = []
  const registry = createPermissionRegistry({ bus, approve: async (sessionID, rules) => void approved.push({ sessionID, rules }) })
  const ask = (sessionID: string, patterns: string[], extra: { always?: string[]; ruleset?: Ruleset; abort?: AbortSignal; permission?: string } = {}) => {
    const promise = registry.ask({ sessionID, directory: "/work", permission: extra.permission ?? "bash", patterns, always: extra.always, metadata: { command: patterns.join(" && ") }, tool: { messageID: "msg_1", callID: "call_1" }, ruleset: extra.ruleset ?? [], abort: extra.abort })
    const settled = promise.then(() => "resolved", (error: Error) => error)
    return { promise, settled }
  }
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0))
  return { bus, events, approved, registry, ask, tick }
}

describe("permission registry", () => {
  test("allow resolves at once, deny rejects with a message naming the rule, nothing is published", async () => {
    const { registry, events } = setup()
    await registry.ask({ sessionID: "ses_a", directory: "/w", permission: "bash", patterns: ["ls"], ruleset: [{ permission: "bash", pattern: "*", action: "allow" }] })
    const denied = await registry
      .ask({ sessionID: "ses_a", directory: "/w", permission: "bash", patterns: ["ls", "rm -rf x"], ruleset: [{ permission: "bash", pattern: "*", action: "allow" }, { permission: "bash", pattern: "rm *", action: "deny" }] })
      .catch((error) => error)
    expect(denied).toBeInstanceOf(PermissionDeniedError)
    expect(denied.message).toContain("denies `bash` for `rm -rf x`")
    expect(events).toEqual([])
    expect(registry.list()).toEqual([])
  })

  test("ask publishes permission.asked in OpenCode's shape; once resolves and publishes replied", async () => {
    const { registry, events, ask, tick } = setup()
    const call = ask("ses_a", ["npm test"], { always: ["npm test *"] })
    await tick()
    const [request] = registry.list()
    expect(request).toEqual({ id: expect.stringMatching(/^per_/), sessionID: "ses_a", permission: "bash", patterns: ["npm test"], metadata: { command: "npm test" }, always: ["npm test *"], tool: { messageID: "msg_1", callID: "call_1" } })
    expect(events.map((event) => [event.type, event.properties, event.directory])).toEqual([["permission.asked", request, "/work"]])
    expect(await registry.reply(request.id, "once")).toBe(true)
    expect(await call.settled).toBe("resolved")
    expect(events[1]).toMatchObject({ type: "permission.replied", properties: { sessionID: "ses_a", requestID: request.id, reply: "once" } })
    expect(await registry.reply(request.id, "once")).toBe(false)
  })

  test("reject carries the user's message and rejects the session's other pending requests only", async () => {
    const { registry, ask, tick, events } = setup()
    const first = ask("ses_a", ["rm -rf build"])
    const second = ask("ses_a", ["src/a.ts"], { permission: "edit" })
    const other = ask("ses_b", ["ls"])
    await tick()
    const [a, , c] = registry.list()
    await registry.reply(a.id, "reject", "use git clean instead")
    const error = (await first.settled) as Error
    expect(error).toBeInstanceOf(PermissionRejectedError)
    expect(error.message).toContain("with this feedback: use git clean instead")
    expect(await second.settled).toBeInstanceOf(PermissionRejectedError)
    expect(registry.list().map((request) => request.id)).toEqual([c.id])
    expect(events.filter((event) => event.type === "permission.replied").map((event) => (event.properties as { reply: string }).reply)).toEqual(["reject", "reject"])
    await registry.reply(c.id, "once")
    expect(await other.settled).toBe("resolved")
  })

  test("always stores allow rules for the always patterns and resolves other covered requests of the session", async () => {
    const { registry, ask, tick, approved } = setup()
    const first = ask("ses_a", ["npm test"], { always: ["npm test *"] })
    const covered = ask("ses_a", ["npm test -- --watch"])
    const notCovered = ask("ses_a", ["rm x"])
    const otherSession = ask("ses_b", ["npm test"])
    await tick()
    const [a, , c, d] = registry.list()
    await registry.reply(a.id, "always")
    expect(approved).toEqual([{ sessionID: "ses_a", rules: [{ permission: "bash", pattern: "npm test *", action: "allow" }] }])
    expect(await first.settled).toBe("resolved")
    expect(await covered.settled).toBe("resolved")
    expect(registry.list().map((request) => request.id)).toEqual([c.id, d.id])
    await registry.reply(c.id, "reject")
    await registry.reply(d.id, "reject")
    expect(await notCovered.settled).toBeInstanceOf(PermissionRejectedError)
    expect(await otherSession.settled).toBeInstanceOf(PermissionRejectedError)
  })

  test("abort rejects the pending request and publishes replied reject", async () => {
    const { registry, ask, tick, events } = setup()
    const controller = new AbortController()
    const call = ask("ses_a", ["sleep 100"], { abort: controller.signal })
    await tick()
    const [request] = registry.list()
    controller.abort()
    expect(await call.settled).toBeInstanceOf(PermissionAbortedError)
    expect(registry.list()).toEqual([])
    expect(events.at(-1)).toMatchObject({ type: "permission.replied", properties: { requestID: request.id, reply: "reject" } })
  })
})
