import { describe, expect, test } from "vitest"
import { chooseCachePlan, createPrefixTracker } from "./cache-policy.ts"
import type { WithParts } from "./schema.ts"

function turn(start: number, end: number): WithParts[] {
  return [
    { info: { id: `msg_u${start}`, sessionID: "ses_1", role: "user", time: { created: start }, agent: "build", model: { providerID: "p", modelID: "m" } }, parts: [] },
    {
      info: { id: `msg_a${start}`, sessionID: "ses_1", role: "assistant", time: { created: start, completed: end }, parentID: `msg_u${start}`, modelID: "m", providerID: "p", mode: "build", agent: "build", path: { cwd: "/", root: "/" }, cost: 0, tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } } },
      parts: [],
    },
  ]
}

describe("chooseCachePlan", () => {
  test("auto: 1h on the stable block; the conversation switches to 1h after a pause of minutes", () => {
    expect(chooseCachePlan(undefined, [...turn(0, 1000), ...turn(30_000, 40_000)])).toMatchObject({ stable: "1h", messages: "5m" })
    expect(chooseCachePlan("auto", [...turn(0, 1000), ...turn(361_000, 370_000)])).toMatchObject({ stable: "1h", messages: "1h" })
  })
  test("config forces a TTL", () => {
    expect(chooseCachePlan("5m", [])).toMatchObject({ stable: "5m", messages: "5m" })
  })
})

describe("prefix tracker", () => {
  test("reports the first block that changed before the previous request's last breakpoint", () => {
    const tracker = createPrefixTracker()
    const request = (system: string, messages: string[]) => ({
      tools: "[]",
      instructions: [{ role: "system" as const, content: system, providerOptions: { anthropic: {} } }],
      messages: messages.map((text, index) => ({ role: "user" as const, content: text, ...(index === messages.length - 1 ? { providerOptions: { anthropic: {} } } : {}) })),
    })
    expect(tracker.check("s", request("base", ["a"]))).toBeUndefined()
    expect(tracker.check("s", request("base", ["a", "b"]))).toBeUndefined()
    expect(tracker.check("s", request("base", ["a", "changed", "c"]))).toBe("messages[1] (user)")
    expect(tracker.check("s", request("other", ["a", "changed", "c"]))).toBe("system[0]")
  })
})
