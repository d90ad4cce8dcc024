import { APICallError } from "ai"
import { MockLanguageModelV4, convertArrayToReadableStream } from "ai/test"
import { describe, expect, test } from "vitest"
import { z } from "zod"
import { defineTool, type ToolContext } from "../tool/index.ts"
import type { AgentEvent } from "./events.ts"
import { runAgentTurn, type AgentTurnInput } from "./loop.ts"

type StreamPart = Record<string, unknown> & { type: string }

/** A mock `doStream` result replaying `parts`. */
function reply(parts: StreamPart[]) {
  return { stream: convertArrayToReadableStream(parts) as never }
}

const usage = (input: number, output: number) => ({
  inputTokens: { total: input + 10, noCache: input, cacheRead: 10, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
})

function textStep(text: string): StreamPart[] {
  return [
    { type: "stream-start", warnings: [] },
    { type: "text-start", id: "t" },
    { type: "text-delta", id: "t", delta: text },
    { type: "text-end", id: "t" },
    { type: "finish", finishReason: { unified: "stop", raw: "end_turn" }, usage: usage(5, 2) },
  ] as StreamPart[]
}

function toolStep(calls: Array<{ id: string; name: string; input: unknown }>): StreamPart[] {
  return [
    { type: "stream-start", warnings: [] },
    ...calls.map((call) => ({ type: "tool-call", toolCallId: call.id, toolName: call.name, input: JSON.stringify(call.input) })),
    { type: "finish", finishReason: { unified: "tool-calls", raw: "tool_use" }, usage: usage(7, 3) },
  ] as StreamPart[]
}

const echo = defineTool({
  name: "echo",
  description: "echo",
  parameters: z.object({ text: z.string(), delayMs: z.number().optional() }),
  async execute(args, context) {
    if (args.delayMs) await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, args.delayMs)
      context.abort.addEventListener("abort", () => { clearTimeout(timer); reject(new Error("aborted")) })
    })
    return { title: args.text, output: `echo: ${args.text}`, metadata: {} }
  },
})

function input(model: MockLanguageModelV4, overrides: Partial<AgentTurnInput> = {}) {
  const events: AgentEvent[] = []
  const abort = overrides.abort ?? new AbortController().signal
  const turn: AgentTurnInput = {
    model,
    providerID: "mock",
    system: ["system"],
    messages: [{ role: "user", content: "hi" }],
    tools: [echo],
    maxSteps: 10,
    abort,
    toolContext: ({ callID }) => ({ callID, abort }) as unknown as ToolContext,
    emit: (event) => void events.push(event),
    sleep: async () => {},
    ...overrides,
  }
  return { turn, events }
}

describe("runAgentTurn", () => {
  test("runs tools, feeds results back in call order, and stops when the model answers", async () => {
    const model = new MockLanguageModelV4({
      doStream: [
        reply(toolStep([{ id: "a", name: "echo", input: { text: "one", delayMs: 20 } }, { id: "b", name: "echo", input: { text: "two" } }])),
        reply(textStep("done")),
      ],
    })
    const { turn, events } = input(model)
    const result = await runAgentTurn(turn)
    expect(result).toEqual({ finish: "stop", steps: 2 })
    expect(events.filter((event) => event.type === "step-finish").map((event) => event.type === "step-finish" && event.usage)).toEqual([
      { input: 7, output: 3, reasoning: 0, cache: { read: 10, write: 0 }, total: 20 },
      { input: 5, output: 2, reasoning: 0, cache: { read: 10, write: 0 }, total: 17 },
    ])
    const second = model.doStreamCalls[1].prompt
    const toolMessage = second.find((message) => message.role === "tool")!
    expect(toolMessage.content.map((part) => (part.type === "tool-result" ? part.toolCallId : ""))).toEqual(["a", "b"])
    expect(JSON.stringify(toolMessage)).toContain("echo: one")
  })

  test("an unknown tool and invalid input are tool errors the model sees, not crashes", async () => {
    const model = new MockLanguageModelV4({
      doStream: [
        reply(toolStep([{ id: "a", name: "nope", input: {} }, { id: "b", name: "echo", input: { text: 3 } }])),
        reply(textStep("ok")),
      ],
    })
    const { turn, events } = input(model)
    await runAgentTurn(turn)
    const errors = events.filter((event) => event.type === "tool-error")
    expect(errors.map((event) => event.type === "tool-error" && event.callID)).toEqual(["a", "b"])
    expect(JSON.stringify(model.doStreamCalls[1].prompt)).toContain("Unknown tool")
  })

  test("abort mid-tool closes the call with an interrupted error and ends the turn", async () => {
    const controller = new AbortController()
    const model = new MockLanguageModelV4({
      doStream: [reply(toolStep([{ id: "slow", name: "echo", input: { text: "x", delayMs: 5000 } }]))],
    })
    const { turn, events } = input(model, {
      abort: controller.signal,
      emit: (event) => {
        events.push(event)
        if (event.type === "tool-call") setTimeout(() => controller.abort(), 10)
      },
    })
    const result = await runAgentTurn(turn)
    expect(result.error?.name).toBe("MessageAbortedError")
    expect(events.find((event) => event.type === "tool-error")).toMatchObject({ callID: "slow", error: "Tool execution aborted", interrupted: true })
  })

  test("retries a 529 before any output, then succeeds; gives up after 5 retries", async () => {
    const overloaded = () => {
      throw new APICallError({ message: "Overloaded", url: "x", requestBodyValues: {}, statusCode: 529, isRetryable: true, responseHeaders: { "retry-after-ms": "1" } })
    }
    let calls = 0
    const model = new MockLanguageModelV4({
      doStream: async () => {
        calls++
        if (calls === 1) overloaded()
        return reply(textStep("after retry"))
      },
    })
    const { turn, events } = input(model)
    expect(await runAgentTurn(turn)).toEqual({ finish: "stop", steps: 1 })
    expect(events.filter((event) => event.type === "retry").map((event) => event.type === "retry" && event.attempt)).toEqual([1])

    const failing = new MockLanguageModelV4({ doStream: async () => overloaded() })
    const second = input(failing)
    const result = await runAgentTurn(second.turn)
    expect(result.error).toMatchObject({ name: "APIError", data: { statusCode: 529, isRetryable: true } })
    expect(failing.doStreamCalls).toHaveLength(6)
  })

  test("a non-retryable error fails the step at once", async () => {
    const model = new MockLanguageModelV4({
      doStream: async () => {
        throw new APICallError({ message: "bad request", url: "x", requestBodyValues: {}, statusCode: 400, isRetryable: false })
      },
    })
    const { turn, events } = input(model)
    const result = await runAgentTurn(turn)
    expect(result.error).toMatchObject({ name: "APIError", data: { statusCode: 400, isRetryable: false } })
    expect(events.map((event) => event.type)).toEqual(["step-start", "step-error"])
  })

  test("the last allowed step is sent without tools", async () => {
    const model = new MockLanguageModelV4({
      doStream: [
        reply(toolStep([{ id: "a", name: "echo", input: { text: "1" } }])),
        reply(textStep("summary")),
      ],
    })
    const { turn } = input(model, { maxSteps: 2 })
    expect(await runAgentTurn(turn)).toEqual({ finish: "stop", steps: 2 })
    expect(model.doStreamCalls[0].tools?.map((tool) => tool.name)).toEqual(["echo"])
    expect(model.doStreamCalls[1].tools ?? []).toEqual([])
  })
})
