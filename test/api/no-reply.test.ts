import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { loadCaptures } from "../compat/compare.ts"
import { diffShapes, formatDiff, shapeOf } from "../compat/shape.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * `noReply: true` prompts run no model, so they need none (OpenCode 1.18.33 stores them; asked for no
 * model it records its default one, offline `opencode/big-pickle`).
 */
const text = (value: string) => ({ parts: [{ type: "text" as const, text: value }] })

describe("noReply without any model", () => {
  let spool: SpoolApp

  beforeAll(async () => {
    spool = await startSpoolApp({ model: "" })
  })

  afterAll(async () => {
    await spool?.close()
  })

  test("is stored and answered with the user message, its model ids empty; the session keeps no model", async () => {
    const client = spool.client()
    const sessionID = (await client.session.create({})).data!.id
    const answer = await client.session.prompt({ sessionID, noReply: true, ...text("remember this") })
    expect(answer.response.status).toBe(200)
    const info = answer.data!.info
    expect(info).toMatchObject({ role: "user", sessionID, agent: "build", model: { providerID: "", modelID: "" } })
    expect(answer.data!.parts).toMatchObject([{ type: "text", text: "remember this", messageID: info.id, sessionID }])
    // Same shape as OpenCode's answer to the same call.
    const reference = loadCaptures("test/compat/opencode-1.18.33.captures.json").run.steps.find((step) => step.id === "session.prompt.noReply.noModel")
    expect(reference).toBeDefined()
    expect(diffShapes(shapeOf(answer.data), shapeOf(reference!.exchange!.body)).map((difference) => formatDiff(difference))).toEqual([])

    const messages = (await client.session.messages({ sessionID })).data!
    expect(messages.map((message) => message.info.id)).toEqual([info.id])
    expect((await client.session.get({ sessionID })).data!.model).toBeUndefined()
    // Nothing ran: the session never went busy and no assistant message exists.
    expect((await client.session.status()).data![sessionID]).toBeUndefined()

    // A prompt that needs an answer still needs a model, and stores nothing.
    const prompt = await client.session.prompt({ sessionID, ...text("now answer") })
    expect(prompt.response.status).toBe(400)
    expect((await client.session.messages({ sessionID })).data!.length).toBe(1)
  })

  test("prompt_async with noReply and no model → 204, the message is stored", async () => {
    const client = spool.client()
    const sessionID = (await client.session.create({})).data!.id
    const accepted = await client.session.promptAsync({ sessionID, noReply: true, ...text("note") })
    expect(accepted.response.status).toBe(204)
    const messages = await (async () => {
      for (;;) {
        const list = (await client.session.messages({ sessionID })).data!
        if (list.length > 0) return list
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })()
    expect(messages[0].info).toMatchObject({ role: "user", model: { providerID: "", modelID: "" } })
  })
})

describe("noReply with a default model", () => {
  let spool: SpoolApp

  beforeAll(async () => {
    spool = await startSpoolApp({ model: "anthropic/claude-sonnet-4-5" })
  })

  afterAll(async () => {
    await spool?.close()
  })

  test("records the model a reply would use, as OpenCode records its default", async () => {
    const client = spool.client()
    const sessionID = (await client.session.create({})).data!.id
    const answer = await client.session.prompt({ sessionID, noReply: true, ...text("hi") })
    expect(answer.data!.info).toMatchObject({ role: "user", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } })
  })
})
