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
