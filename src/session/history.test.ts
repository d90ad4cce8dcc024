import { describe, expect, test } from "vitest"
import { INTERRUPTED_TOOL_RESULT, orderByTurn, toModelMessages } from "./history.ts"
import type { AssistantMessage, Part, UserMessage, WithParts } from "./schema.ts"

const S = "ses_1"
function user(id: string, text: string): WithParts {
  const info: UserMessage = { id, sessionID: S, role: "user", time: { created: 0 }, agent: "build", model: { providerID: "p", modelID: "m" } }
  return { info, parts: [{ id: `prt_${id}`, sessionID: S, messageID: id, type: "text", text }] }
}
type PartInput = Part extends infer P ? (P extends Part ? Omit<P, "id" | "sessionID" | "messageID"> : never) : never
function assistant(id: string, parentID: string, parts: PartInput[], extra: Partial<AssistantMessage> = {}): WithParts {
  const info: AssistantMessage = {
    id, sessionID: S, role: "assistant", time: { created: 0 }, parentID, modelID: "m", providerID: "p", mode: "build", agent: "build",
    path: { cwd: "/", root: "/" }, cost: 0, tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }, ...extra,
  }
  return { info, parts: parts.map((part, index) => ({ ...part, id: `prt_${id}_${index}`, sessionID: S, messageID: id }) as Part) }
}

describe("orderByTurn", () => {
  test("keeps each turn contiguous when a queued prompt was stored mid-turn", () => {
    const messages = [user("msg_u1", "one"), assistant("msg_a1", "msg_u1", []), user("msg_u2", "two"), assistant("msg_a2", "msg_u1", []), assistant("msg_a3", "msg_u2", [])]
    expect(orderByTurn(messages).map((message) => message.info.id)).toEqual(["msg_u1", "msg_a1", "msg_a2", "msg_u2", "msg_a3"])
    expect(orderByTurn(messages, "msg_u1").map((message) => message.info.id)).toEqual(["msg_u1", "msg_a1", "msg_a2"])
  })
})

describe("toModelMessages", () => {
  test("every tool call gets exactly one result; interrupted calls get a synthetic one", () => {
    const messages = [
      user("msg_u1", "go"),
      assistant("msg_a1", "msg_u1", [
        { type: "text", text: "working" },
        { type: "tool", callID: "c1", tool: "read", state: { status: "completed", input: { filePath: "a" }, output: "A", title: "a", metadata: {}, time: { start: 0, end: 1 } } },
        { type: "tool", callID: "c2", tool: "bash", state: { status: "running", input: { command: "sleep 9" }, time: { start: 0 } } },
        { type: "tool", callID: "c3", tool: "edit", state: { status: "error", input: {}, error: "no match", time: { start: 0, end: 1 } } },
      ], { error: { name: "MessageAbortedError", data: { message: "Aborted" } } }),
    ]
    const model = toModelMessages(messages, "p")
    expect(model.map((message) => message.role)).toEqual(["user", "assistant", "tool"])
    const results = model[2].content as Array<{ toolCallId: string; output: { type: string; value: string } }>
    expect(results.map((result) => [result.toolCallId, result.output.type, result.output.value])).toEqual([
      ["c1", "text", "A"],
      ["c2", "error-text", INTERRUPTED_TOOL_RESULT],
      ["c3", "error-text", "no match"],
    ])
  })

  test("drops failed assistant messages without content and ignored user text", () => {
    const ignored = user("msg_u1", "hidden")
    ;(ignored.parts[0] as Extract<Part, { type: "text" }>).ignored = true
    const messages = [ignored, user("msg_u2", "shown"), assistant("msg_a1", "msg_u2", [{ type: "step-start" }], { error: { name: "APIError", data: { message: "x", isRetryable: false } } })]
    expect(toModelMessages(messages, "p")).toEqual([{ role: "user", content: [{ type: "text", text: "shown" }] }])
  })

  test("reasoning keeps provider metadata only for the provider that produced it", () => {
    const messages = [user("msg_u1", "q"), assistant("msg_a1", "msg_u1", [{ type: "reasoning", text: "think", time: { start: 0, end: 1 }, metadata: { anthropic: { signature: "sig" } } }, { type: "text", text: "a" }])]
    const same = toModelMessages(messages, "p")[1].content as Array<{ type: string; providerOptions?: unknown }>
    expect(same[0].providerOptions).toEqual({ anthropic: { signature: "sig" } })
    const other = toModelMessages(messages, "other")[1].content as Array<{ type: string; providerOptions?: unknown }>
    expect(other[0].providerOptions).toBeUndefined()
  })
})
