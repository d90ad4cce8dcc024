import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { collectEvents } from "../fixture/spool-server.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 4: a session pushed past a small context limit compacts once and continues; a compaction that
 * cannot shrink the context enough stops with ContextOverflowError instead of compacting again.
 * The model's limit comes from spool.json: context 4,000 − reserved output 1,000 = 3,000 usable tokens.
 */
const MODEL = { providerID: "anthropic", modelID: "claude-small" }
const config = JSON.stringify({ provider: { anthropic: { models: { "claude-small": { limit: { context: 4000, output: 1000 } } } } } })

describe("compaction", () => {
  let llm: FakeLLM
  let spool: SpoolApp

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: { "spool.json": config, "notes.txt": "some notes\n" } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  test("a turn that outgrows the context compacts once, then continues from the summary", async () => {
    const client = spool.client()
    const session = (await client.session.create({})).data!
    const events = await collectEvents(client, spool.repo)
    llm.script(
      { toolCalls: [{ name: "read", input: { filePath: "notes.txt" } }], usage: { input: 2900, output: 200 } },
      { text: "## Objective\nRead the notes.\n## Next Move\nAnswer.", usage: { input: 1500, output: 60 } },
      { text: "The notes say: some notes.", usage: { input: 400, output: 20 } },
    )
    const answer = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "what do the notes say?" }] })
    expect(answer.data!.info.role === "assistant" && answer.data!.info.error).toBeFalsy()
    await events.waitFor((event) => event.type === "session.compacted")

    const messages = (await client.session.messages({ sessionID: session.id })).data!
    const shape = messages.map((message) => [message.info.role, message.parts.filter((part) => !["step-start", "step-finish"].includes(part.type)).map((part) => part.type).join(",")])
    expect(shape).toEqual([
      ["user", "text"],
      ["assistant", "tool"],
      ["user", "compaction"],
      ["assistant", "text"],
      ["user", "text"],
      ["assistant", "text"],
    ])
    const summary = messages[3].info
    expect(summary).toMatchObject({ role: "assistant", summary: true, agent: "compaction", mode: "compaction", parentID: messages[2].info.id })
    expect(messages[4].parts[0]).toMatchObject({ type: "text", synthetic: true, metadata: { compaction_continue: true } })
    expect(messages[5].info).toMatchObject({ role: "assistant", parentID: messages[4].info.id })

    // The summariser saw the transcript; the resumed request saw the summary, not the old tool output.
    expect(JSON.stringify(llm.requests[1].body)).toContain("[Assistant tool call]: read(")
    const resumed = JSON.stringify(llm.requests[2].body)
    expect(resumed).toContain("What did we do so far?")
    expect(resumed).toContain("Read the notes.")
    expect(resumed).toContain("Continue if you have next steps")
    expect(resumed).not.toContain("some notes\\n")
    await events.stop()
  })

  test("when compacting once is not enough the turn stops with ContextOverflowError, never compacting again", async () => {
    const client = spool.client()
    const session = (await client.session.create({})).data!
    const before = llm.requests.length
    llm.script(
      { toolCalls: [{ name: "read", input: { filePath: "notes.txt" } }], usage: { input: 2900, output: 200 } },
      { text: "summary", usage: { input: 1500, output: 60 } },
      // Still too large after the compaction: the next step must not compact again.
      { toolCalls: [{ name: "read", input: { filePath: "notes.txt" } }], usage: { input: 3100, output: 50 } },
    )
    const answer = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "again" }] })
    const info = answer.data!.info
    expect(info.role === "assistant" && info.error?.name).toBe("ContextOverflowError")
    expect(llm.requests.length - before).toBe(3)
    const messages = (await client.session.messages({ sessionID: session.id })).data!
    expect(messages.filter((message) => message.parts.some((part) => part.type === "compaction"))).toHaveLength(1)
  })

  test("POST /summarize writes a summary the next prompt builds on", async () => {
    const client = spool.client()
    const session = (await client.session.create({})).data!
    llm.script({ text: "first answer", usage: { input: 100, output: 10 } }, { text: "## Objective\nsummarised", usage: { input: 100, output: 10 } }, { text: "next", usage: { input: 100, output: 10 } })
    await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "hello" }] })
    const summarized = await client.session.summarize({ sessionID: session.id, providerID: MODEL.providerID, modelID: MODEL.modelID })
    expect(summarized.data).toBe(true)
    await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "go on" }] })
    const last = JSON.stringify(llm.requests.at(-1)!.body)
    expect(last).toContain("summarised")
    expect(last).not.toContain("first answer")
  })
})
