import { describe, expect, test } from "vitest"
import { looksTransient, retryDelay } from "./retry.ts"

describe("retryDelay", () => {
  test("exponential with at most 25% jitter", () => {
    expect(retryDelay(1, undefined, () => 0)).toBe(2000)
    expect(retryDelay(2, undefined, () => 0)).toBe(4000)
    expect(retryDelay(2, undefined, () => 1)).toBe(5000)
    expect(retryDelay(10, undefined, () => 0)).toBe(30_000)
  })

  test("honours retry-after-ms, retry-after seconds and dates", () => {
    expect(retryDelay(1, { "retry-after-ms": "150" })).toBe(150)
    expect(retryDelay(1, { "retry-after": "3" })).toBe(3000)
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString()
    expect(retryDelay(1, { "retry-after": inFiveSeconds })).toBeGreaterThan(3000)
  })

  test("classifies transient failures", () => {
    expect(looksTransient("Overloaded")).toBe(true)
    expect(looksTransient("read ECONNRESET")).toBe(true)
    expect(looksTransient("invalid x-api-key")).toBe(false)
  })
})
