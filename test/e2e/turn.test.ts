import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { collectEvents, startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * The proof: a real `spool serve`, driven only through the official OpenCode SDK (v2), runs a
 * full turn on a temp git repository against a fake LLM reached through the real AI SDK providers:
 * the model reads a file, edits it, runs bash, answers.
 */
const protocols = [
  { name: "anthropic (Messages SSE)", providerID: "anthropic", modelID: "claude-sonnet-4-5", cacheWrite: 300 },
  { name: "openai-compatible (Chat Completions SSE)", providerID: "fakeopenai", modelID: "gpt-4.1", cacheWrite: 0 },
  { name: "openai (Responses SSE)", providerID: "openai", modelID: "gpt-4.1", cacheWrite: 0 },
] as const

describe.each(protocols)("a full agent turn over $name", ({ providerID, modelID, cacheWrite }) => {
  let llm: FakeLLM
  let spool: SpoolProcess
  let repo: TempDir
  let data: TempDir

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
    const config = join(data.path, "spool.json")
    writeFileSync(
      config,
      JSON.stringify({ provider: { fakeopenai: { npm: "@ai-sdk/openai-compatible", options: { baseURL: llm.openaiBaseURL, apiKey: "test" } } } }),
    )
    spool = await startSpool({
      env: {
        SPOOL_DATA_DIR: data.path,
        SPOOL_CONFIG: config,
        ANTHROPIC_API_KEY: "test",
        ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
        OPENAI_API_KEY: "test",
        OPENAI_BASE_URL: llm.openaiBaseURL,
      },
    })
  })

  afterAll(async () => {
    await spool?.stop()
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("reads, edits, runs bash and answers; parts, disk, events and tokens are exact", async () => {
    const client = spool.client(repo.path)
    const stream = await collectEvents(client, repo.path)
    await stream.waitFor((event) => event.type === "server.connected")

    llm.script(
      { text: ["Let me ", "read it."], toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }], usage: { input: 1000, output: 40, cacheRead: 0, cacheWrite } },
      { toolCalls: [{ name: "edit", input: { filePath: "hello.txt", oldString: "hello world", newString: "goodbye world" } }], usage: { input: 50, output: 30, cacheRead: 1000, cacheWrite: 0 } },
      { toolCalls: [{ name: "bash", input: { command: "cat hello.txt", description: "Show the file" } }], usage: { input: 60, output: 25, cacheRead: 1050, cacheWrite: 0 } },
      { text: "Done: the file now says goodbye.", usage: { input: 70, output: 12, cacheRead: 1110, cacheWrite: 0 } },
    )

    const created = await client.session.create({ title: "e2e" })
    expect(created.error).toBeUndefined()
    const session = created.data!
    expect(session.projectID).toMatch(/^[0-9a-f]{40}$/)

    const answer = await client.session.prompt({
      sessionID: session.id,
      model: { providerID, modelID },
      parts: [{ type: "text", text: "Change hello to goodbye in hello.txt and show me the file." }],
    })
    expect(answer.error).toBeUndefined()
    const final = answer.data!
    expect(final.info.role).toBe("assistant")
    if (final.info.role !== "assistant") throw new Error("unreachable")
    expect(final.info.error).toBeUndefined()
    expect(final.info.finish).toBe("stop")
    expect(final.parts.find((part) => part.type === "text")).toMatchObject({ text: "Done: the file now says goodbye." })

    // The file change is on disk.
    expect(readFileSync(join(repo.path, "hello.txt"), "utf8")).toBe("goodbye world\n")

    // Persisted messages: the user prompt and one assistant message per LLM step.
    const messages = (await client.session.messages({ sessionID: session.id })).data!
    expect(messages.map((message) => message.info.role)).toEqual(["user", "assistant", "assistant", "assistant", "assistant"])
    const tools = messages.flatMap((message) => message.parts).filter((part) => part.type === "tool")
    expect(tools.map((part) => (part.type === "tool" ? [part.tool, part.state.status] : []))).toEqual([
      ["read", "completed"],
      ["edit", "completed"],
      ["bash", "completed"],
    ])
    const [read, , bash] = tools
    if (read.type !== "tool" || read.state.status !== "completed" || bash.type !== "tool" || bash.state.status !== "completed") throw new Error("unreachable")
    expect(read.state.output).toContain("1: hello world")
    expect(bash.state.output).toContain("goodbye world")
    for (const message of messages.slice(1)) {
      const types = message.parts.map((part) => part.type).filter((type) => type !== "patch")
      expect(types[0]).toBe("step-start")
      expect(types.at(-1)).toBe("step-finish")
    }
    // Snapshots around every step; the edit step (and only it) carries a patch naming hello.txt,
    // hashed with the tree from before that step.
    const patches = messages.flatMap((message) => message.parts.filter((part) => part.type === "patch"))
    expect(patches).toHaveLength(1)
    const editStep = messages.find((message) => message.parts.some((part) => part.type === "patch"))!
    const start = editStep.parts.find((part) => part.type === "step-start")
    const finish = editStep.parts.find((part) => part.type === "step-finish")
    expect(patches[0]).toMatchObject({ hash: start?.type === "step-start" ? start.snapshot : "", files: [join(repo.path, "hello.txt")] })
    expect(finish?.type === "step-finish" && finish.snapshot).toMatch(/^[0-9a-f]{40}$/)
    expect(editStep.parts.at(-1)?.type).toBe("patch")

    // Tokens: each step-finish equals what the fake reported; the message carries its step; the
    // session sums them.
    const steps = messages.flatMap((message) => message.parts).filter((part) => part.type === "step-finish")
    const expected = [
      { input: 1000, output: 40, reasoning: 0, cache: { read: 0, write: cacheWrite } },
      { input: 50, output: 30, reasoning: 0, cache: { read: 1000, write: 0 } },
      { input: 60, output: 25, reasoning: 0, cache: { read: 1050, write: 0 } },
      { input: 70, output: 12, reasoning: 0, cache: { read: 1110, write: 0 } },
    ]
    expect(steps.map((part) => (part.type === "step-finish" ? { ...part.tokens, total: undefined } : undefined))).toEqual(
      expected.map((tokens) => ({ ...tokens, total: undefined })),
    )
    expect(steps.map((part) => (part.type === "step-finish" ? part.reason : ""))).toEqual(["tool-calls", "tool-calls", "tool-calls", "stop"])
    expect(final.info.tokens).toMatchObject(expected[3])
    const stored = (await client.session.get({ sessionID: session.id })).data!
    expect(stored.tokens).toEqual({ input: 1180, output: 107, reasoning: 0, cache: { read: 3160, write: cacheWrite } })
    // Cache efficiency = cache read / (input + cache read + cache write), per session (Spool's `stats`)
    // and per step (`GET /session/:id/stats`).
    const efficiency = 3160 / (1180 + 3160 + cacheWrite)
    expect((stored as { stats?: { steps: number; cacheEfficiency: number } }).stats).toEqual({ steps: 4, cacheEfficiency: efficiency })
    const stats = (await (await fetch(`${spool.url}/session/${session.id}/stats`)).json()) as { steps: Array<{ cacheEfficiency: number; tokens: unknown }>; total: { cacheEfficiency: number; steps: number } }
    expect(stats.total).toMatchObject({ steps: 4, cacheEfficiency: efficiency })
    expect(stats.steps.map((step) => step.cacheEfficiency)).toEqual([0, 1000 / 1050, 1050 / 1110, 1110 / 1180])
    const stepCosts = steps.reduce((sum, part) => sum + (part.type === "step-finish" ? part.cost : 0), 0)
    expect(stored.cost).toBeCloseTo(stepCosts, 12)
    expect(stored.cost).toBeGreaterThan(0)

    // SSE order for the first step, as OpenCode emits it.
    await stream.waitFor((event) => event.type === "session.idle")
    const types = stream.events.map((event) => event.type)
    const sequence = [
      "message.updated", // user
      "message.part.updated", // user text
      "session.status", // busy
      "message.updated", // assistant
      "message.part.updated", // step-start
      "message.part.updated", // text start
      "message.part.delta",
      "message.part.delta",
      "message.part.updated", // text end / tool pending
    ]
    let cursor = 0
    for (const type of types) if (type === sequence[cursor]) cursor++
    expect(cursor).toBe(sequence.length)
    expect(types.indexOf("session.status")).toBeLessThan(types.indexOf("message.part.delta"))
    expect(types.at(-2)).toBe("session.status")
    expect(stream.events.find((event) => event.type === "message.part.delta")?.properties).toMatchObject({ field: "text", delta: "Let me " })
    const toolStates = stream.events
      .filter((event) => event.type === "message.part.updated" && event.properties.part.type === "tool" && event.properties.part.tool === "edit")
      .map((event) => event.properties.part.state.status)
    // Progress updates repeat `running` (OpenCode's `ctx.metadata`); the state order never goes back.
    expect(toolStates.filter((status, index) => status !== toolStates[index - 1])).toEqual(["pending", "running", "completed"])
    await stream.stop()

    // Anthropic requests carry cache breakpoints: the stable system block (1h) and the newest message.
    if (providerID === "anthropic") {
      const body = llm.requests[1].body as { system: Array<{ cache_control?: unknown }>; messages: Array<{ content: Array<{ cache_control?: unknown }> }> }
      expect(body.system.at(-1)?.cache_control).toEqual({ type: "ephemeral", ttl: "1h" })
      expect(body.messages.at(-1)?.content.at(-1)?.cache_control).toEqual({ type: "ephemeral" })
    }
    // What the provider saw: the tool result of `read` went back to the model in the second request.
    expect(llm.requests).toHaveLength(4)
    expect(JSON.stringify(llm.requests[1].body)).toContain("hello world")
  })
})
