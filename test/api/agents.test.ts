import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/** `agent.<name>` in spool.json: its prompt, allowed tools, step limit and model apply to its turns. */
describe("configured agents", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  const config = {
    agent: { reviewer: { prompt: "You review code and never change it.", tools: ["read", "grep"], steps: 2, model: "anthropic/claude-haiku-4-5" } },
  }

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: { "spool.json": JSON.stringify(config), "a.ts": "export {}\n" } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  test("the agent's prompt, tools, model and step limit are used", async () => {
    const client = spool.client()
    const session = (await client.session.create({})).data!
    llm.script({ toolCalls: [{ name: "read", input: { filePath: "a.ts" } }] }, { text: "Looks fine." })
    const answer = await client.session.prompt({ sessionID: session.id, agent: "reviewer", parts: [{ type: "text", text: "review a.ts" }] })
    expect(answer.data!.info).toMatchObject({ role: "assistant", agent: "reviewer", modelID: "claude-haiku-4-5" })
    const first = llm.requests.at(-2)!.body as { system: Array<{ text: string }>; tools: Array<{ name: string }>; model: string }
    expect(first.model).toBe("claude-haiku-4-5")
    expect(first.system[0].text.startsWith("You review code and never change it.")).toBe(true)
    expect(first.tools.map((tool) => tool.name).sort()).toEqual(["grep", "read"])
    // steps: 2 → the second (last allowed) step is sent without tools.
    const second = llm.requests.at(-1)!.body as { tools?: unknown[] }
    expect(second.tools ?? []).toEqual([])
  })
})
