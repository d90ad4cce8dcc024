import { describe, expect, test } from "vitest"
import { createId, isId } from "./id.ts"

describe("createId", () => {
  test("has OpenCode's shape: prefix, 12 hex, 14 base62", () => {
    for (const kind of ["session", "message", "part", "event"] as const) {
      expect(createId(kind)).toMatch(/^(ses|msg|prt|evt)_[0-9a-f]{12}[0-9A-Za-z]{14}$/)
    }
  })

  test("ascending ids sort by creation, session ids sort newest first", () => {
    const messages = [createId("message", false, 1000), createId("message", false, 1000), createId("message", false, 2000)]
    expect([...messages].sort()).toEqual(messages)
    const sessions = [createId("session", true, 1000), createId("session", true, 2000)]
    expect([...sessions].sort()).toEqual([sessions[1], sessions[0]])
  })

  test("session ids store the bit complement of the ascending time value", () => {
    const mask = (1n << 48n) - 1n
    const session = createId("session", true, 9000)
    const message = createId("message", false, 9001)
    expect(BigInt("0x" + session.slice(4, 16))).toBe(~(9000n * 4096n + 1n) & mask)
    expect(BigInt("0x" + message.slice(4, 16))).toBe(9001n * 4096n + 1n)
  })

  test("isId checks the prefix", () => {
    expect(isId("session", "ses_abc")).toBe(true)
    expect(isId("session", "msg_abc")).toBe(false)
    expect(isId("session", "ses_")).toBe(false)
  })
})
