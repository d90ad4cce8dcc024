import { describe, expect, test } from "vitest"
import { prefixBreak } from "./stats.ts"

const tokens = (read: number, write: number, input = 100) => ({ input, output: 10, reasoning: 0, cache: { read, write } })

describe("prefixBreak", () => {
  test("a step reading at least what the previous one read and wrote keeps the prefix", () => {
    expect(prefixBreak({ tokens: tokens(0, 4000), modelID: "m" }, undefined)).toBeUndefined()
    expect(prefixBreak({ tokens: tokens(4000, 200), modelID: "m" }, { tokens: tokens(0, 4000), modelID: "m" })).toBeUndefined()
    // Nothing cached before: nothing to lose.
    expect(prefixBreak({ tokens: tokens(0, 0), modelID: "m" }, { tokens: tokens(0, 0), modelID: "m" })).toBeUndefined()
  })

  test("a drop below the previous step's cached prefix is a break, naming a model change", () => {
    expect(prefixBreak({ tokens: tokens(0, 5000), modelID: "m" }, { tokens: tokens(4000, 200), modelID: "m" })).toBe("cache read 0 < 4200 tokens the previous step read or wrote")
    expect(prefixBreak({ tokens: tokens(1000, 0), modelID: "b" }, { tokens: tokens(3000, 0), modelID: "a" })).toBe(
      "cache read 1000 < 3000 tokens the previous step read or wrote (model changed from a to b)",
    )
  })

  test("Spool's recorded prefix break wins, even on the first step", () => {
    expect(prefixBreak({ tokens: tokens(5000, 0), modelID: "m", cache: { prefixBreak: "system[1]" } }, undefined)).toBe("prefix changed at system[1]")
  })
})
