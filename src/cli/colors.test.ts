import { describe, expect, test } from "vitest"
import { colorEnabled, colorsFor } from "./colors.ts"

describe("colorEnabled", () => {
  test("a terminal gets colour, a pipe or file does not, TERM=dumb does not", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true)
    expect(colorEnabled({}, {})).toBe(false)
    expect(colorEnabled({ isTTY: false }, { CI: "true" })).toBe(false)
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false)
  })

  test("NO_COLOR wins, FORCE_COLOR forces unless 0/false", () => {
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false)
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false)
    expect(colorEnabled({}, { FORCE_COLOR: "1" })).toBe(true)
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: "0" })).toBe(false)
  })

  test("colorsFor returns plain text when off and escape codes when on", () => {
    expect(colorsFor({}, {}).red("x")).toBe("x")
    expect(colorsFor({}, { FORCE_COLOR: "1" }).red("x")).toBe("\x1b[31mx\x1b[39m")
  })
})
