import { describe, expect, test } from "vitest"
import { OutputCollector, takeHead, takeTail } from "./truncate.ts"

describe("OutputCollector", () => {
  test("small output passes through, across chunk boundaries", () => {
    const c = new OutputCollector()
    c.append("ab")
    c.append("c\nd")
    expect(c.finish()).toEqual({ text: "abc\nd", truncated: false })
  })

  test("drops the middle of long output, counting omitted lines", () => {
    const c = new OutputCollector()
    const lines = Array.from({ length: 3000 }, (_, i) => `l${i + 1}`)
    for (const line of lines) c.append(line + "\n")
    const { text, truncated } = c.finish()
    expect(truncated).toBe(true)
    expect(text.startsWith("l1\nl2\n")).toBe(true)
    expect(text).toContain("l1000\n\n...1001 lines truncated...")
    expect(text.endsWith("l3000\n")).toBe(true)
  })

  test("keeps memory bounded and totals exact for very large streams", () => {
    const c = new OutputCollector()
    const chunk = "x".repeat(99) + "\n"
    for (let i = 0; i < 20_000; i++) c.append(chunk)
    const { text } = c.finish()
    expect(c.bytes).toBe(2_000_000)
    expect(text).toContain("...19488 lines truncated...")
    expect(text.length).toBeLessThan(60 * 1024)
  })
})

describe("takeHead / takeTail", () => {
  test("respect line and byte budgets", () => {
    expect(takeHead("a\nb\nc", 2, 100)).toBe("a\nb")
    expect(takeTail("a\nb\nc", 2, 100)).toBe("b\nc")
    expect(takeHead("aaaa\nb", 10, 3)).toBe("aaa")
    expect(takeTail("a\nbbbb", 10, 3)).toBe("bbb")
  })
})
