import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 9: every event of a turn is published before `POST /session/:id/message` answers —
 * `opencode run --attach` exits on the answer and loses whatever comes later (its last `step_finish`).
 * The bus is read in-process and the prompt runner called directly (the route answers with what it
 * resolves), so "published before" is exact: the events seen when the prompt resolves must already
 * include the last parts, the completed `message.updated` and the idle status. (Over HTTP the check
 * would pass by luck: the response still has to cross the socket.)
 */
describe("turn events before the prompt's answer", () => {
  let llm: FakeLLM
  let spool: SpoolApp

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: { "README.md": "# order\n" } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  test("last parts, completed message and idle status are published before the response", async () => {
    const client = spool.client()
    for (const turn of [{ text: "plain" }, { toolCalls: [{ name: "read", input: { filePath: "README.md" } }] }]) {
      const session = (await client.session.create({})).data!
      const events: Array<{ type: string; properties: any }> = []
      const unsubscribe = spool.app.bus.subscribe((event) => {
        if ((event.properties as { sessionID?: string }).sessionID === session.id) events.push({ type: event.type, properties: event.properties })
      })
      llm.script(turn, { text: "done" })
      const body = await spool.app.prompts.prompt(session.id, { parts: [{ type: "text", text: "go" }] })
      const seen = [...events]
      unsubscribe()
      const finish = body.parts.at(-1)!
      expect(finish.type).toBe("step-finish")
      // The answer's last part and its completed message were published before it.
      expect(seen.some((event) => event.type === "message.part.updated" && event.properties.part.id === finish.id)).toBe(true)
      expect(seen.some((event) => event.type === "message.updated" && event.properties.info.id === body.info.id && event.properties.info.time.completed)).toBe(true)
      const statuses = seen.filter((event) => event.type === "session.status").map((event) => event.properties.status.type)
      expect(statuses.at(-1)).toBe("idle")
      expect(seen.at(-1)!.type).toBe("session.idle")
    }
  })
})
