import { describe, expect, test } from "vitest"
import { snippetSegments } from "./content-search.ts"

describe("snippetSegments", () => {
  test("splits at the FTS5 markers into plain text segments; markup in the text stays text", () => {
    expect(snippetSegments("…the \u0002<b>quasar\u0003 renderer \u0002batches\u0003")).toEqual([
      { text: "…the ", match: false },
      { text: "<b>quasar", match: true },
      { text: " renderer ", match: false },
      { text: "batches", match: true },
    ])
  })

  test("adjacent matches merge, empty segments drop, an unclosed match runs to the end", () => {
    expect(snippetSegments("\u0002draw\u0003\u0002calls\u0003")).toEqual([{ text: "drawcalls", match: true }])
    expect(snippetSegments("no match here")).toEqual([{ text: "no match here", match: false }])
    expect(snippetSegments("a \u0002cut")).toEqual([
      { text: "a ", match: false },
      { text: "cut", match: true },
    ])
    expect(snippetSegments("")).toEqual([])
  })
})
