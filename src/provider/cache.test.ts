import type { ModelMessage } from "ai"
import { describe, expect, test } from "vitest"
import { preparePrompt } from "./cache.ts"

const anthropic = { api: "anthropic" as const, modelID: "claude-sonnet-4-5" }
const history: ModelMessage[] = [
  { role: "user", content: [{ type: "text", text: "first" }] },
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "a", toolName: "read", input: {} }] },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "a", toolName: "read", output: { type: "text", value: "x" } }] },
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "b", toolName: "read", input: {} }] },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "b", toolName: "read", output: { type: "text", value: "y" } }] },
]
const marked = (messages: ModelMessage[]) => messages.flatMap((message, index) => (message.providerOptions ? [[index, message.providerOptions]] : []))

describe("preparePrompt", () => {
  test("marks the stable system block, where the previous request ended, and the newest message", () => {
    const prepared = preparePrompt(anthropic, { system: ["base", "instructions", "per-turn"], stableBlocks: 2, messages: history }, { stable: "1h", messages: "5m" })
    expect(prepared.breakpoints).toBe(3)
    expect(prepared.instructions.map((message) => message.providerOptions)).toEqual([undefined, { anthropic: { cacheControl: { type: "ephemeral", ttl: "1h" } } }, undefined])
    expect(marked(prepared.messages)).toEqual([
      [2, { anthropic: { cacheControl: { type: "ephemeral" } } }],
      [4, { anthropic: { cacheControl: { type: "ephemeral" } } }],
    ])
    expect(history.every((message) => message.providerOptions === undefined)).toBe(true)
  })

  test("never puts a 1h breakpoint after a 5m one", () => {
    const prepared = preparePrompt(anthropic, { system: ["base"], stableBlocks: 1, messages: history }, { stable: "5m", messages: "1h" })
    expect(marked(prepared.messages).map(([, options]) => options)).toEqual([
      { anthropic: { cacheControl: { type: "ephemeral" } } },
      { anthropic: { cacheControl: { type: "ephemeral" } } },
    ])
  })

  test("OpenAI-style providers get the prompt unchanged (automatic prefix caching)", () => {
    const prepared = preparePrompt({ api: "openai", modelID: "gpt-4.1" }, { system: ["base"], stableBlocks: 1, messages: history }, { stable: "1h", messages: "1h" })
    expect(prepared.breakpoints).toBe(0)
    expect(prepared.messages).toBe(history)
  })
})
