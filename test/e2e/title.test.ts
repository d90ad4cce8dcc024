import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, until, type SpoolApp } from "../fixture/spool-app.ts"

/** Issue 4: a new session is titled after its first prompt; user titles are never replaced. */
describe("session titles", () => {
  let llm: FakeLLM
  let plain: SpoolApp
  let small: SpoolApp

  beforeAll(async () => {
    llm = await startFakeLLM()
    plain = await startSpoolApp({ llm })
    small = await startSpoolApp({ llm, files: { "spool.json": JSON.stringify({ small_model: "anthropic/claude-haiku-4-5" }) } })
  })
  afterAll(async () => {
    await plain?.close()
    await small?.close()
    await llm?.close()
  })

  test("without a small model: the first line of the first prompt, cut to 100 characters", async () => {
    const client = plain.client()
    const session = (await client.session.create({})).data!
    expect(session.title).toMatch(/^New session - /)
    llm.script({ text: "ok" })
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: `\n  ${"Fix the flaky login test ".repeat(6)}\nmore detail` }] })
    const titled = await until(async () => {
      const info = (await client.session.get({ sessionID: session.id })).data!
      return info.title.startsWith("New session") ? undefined : info
    }, "a title")
    expect(titled.title).toHaveLength(100)
    expect(titled.title.endsWith("...")).toBe(true)
    expect(titled.title.startsWith("Fix the flaky login test Fix")).toBe(true)
  })

  test("with small_model: a model call, <think> stripped; a title the user set stays", async () => {
    const client = small.client()
    const session = (await client.session.create({})).data!
    llm.route((request) => (request.path.endsWith("/messages") && JSON.stringify(request.body).includes("Generate a title") ? { text: "<think>hmm</think>\nRefactor the parser" } : undefined))
    llm.script({ text: "working on it" })
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "please refactor the parser module" }] })
    const titled = await until(async () => {
      const info = (await client.session.get({ sessionID: session.id })).data!
      return info.title.startsWith("New session") ? undefined : info
    }, "a generated title")
    expect(titled.title).toBe("Refactor the parser")
    expect(llm.requests.some((request) => JSON.stringify(request.body).includes('"model":"claude-haiku-4-5"'))).toBe(true)

    const named = (await client.session.create({ title: "my own title" })).data!
    llm.script({ text: "ok" })
    await client.session.prompt({ sessionID: named.id, parts: [{ type: "text", text: "anything" }] })
    expect((await client.session.get({ sessionID: named.id })).data!.title).toBe("my own title")
  })
})

describe("POST /session/:id/init", () => {
  test("runs an agent turn that writes AGENTS.md", async () => {
    const llm = await startFakeLLM()
    const spool = await startSpoolApp({ llm, files: { "package.json": '{"scripts":{"test":"vitest"}}' } })
    try {
      const client = spool.client()
      const session = (await client.session.create({})).data!
      llm.script(
        { toolCalls: [{ name: "read", input: { filePath: "package.json" } }] },
        { toolCalls: [{ name: "write", input: { filePath: "AGENTS.md", content: "# Agents\n\nTest: `npm test` (vitest).\n" } }] },
        { text: "Created AGENTS.md." },
      )
      const result = await client.session.init({ sessionID: session.id, providerID: "anthropic", modelID: "claude-sonnet-4-5", messageID: "msg_init0000000000000000001" })
      expect(result.data).toBe(true)
      expect(JSON.stringify(llm.requests[0].body)).toContain("Create or improve the AGENTS.md")
      const { readFileSync } = await import("node:fs")
      expect(readFileSync(`${spool.repo}/AGENTS.md`, "utf8")).toContain("npm test")
      // The next turn's system prompt carries the new instructions.
      llm.script({ text: "ok" })
      await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "hi" }] })
      expect(JSON.stringify(llm.requests.at(-1)!.body)).toContain("Instructions from: ")
    } finally {
      await spool.close()
      await llm.close()
    }
  })
})
