import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startSpoolWithEvents } from "../fixture/spool-app.ts"

/**
 * Issue 8, "Faults", in process and without root: the database is capped at its current size
 * (`PRAGMA max_page_count`), which makes SQLite fail the way a full disk does (`SQLITE_FULL`). The
 * e2e test (test/e2e/disk-full.test.ts) does the same with a really full tmpfs and a real server.
 */

let setup: Awaited<ReturnType<typeof startSpoolWithEvents>>
/** 64 deltas, 250 KB: its save needs new pages whatever room the pages in use still have. */
const BIG_TEXT = Array.from({ length: 64 }, (_, index) => `${index} ${"lorem ipsum ".repeat(330)}`)
type Event = { type: string; properties: any }

beforeAll(async () => {
  setup = await startSpoolWithEvents()
})

afterAll(() => setup?.close())

async function capDatabase() {
  const [{ page_count: pages }] = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(setup.spool.app.db)).rows
  await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(setup.spool.app.db)
}

async function uncapDatabase() {
  await sql.raw("PRAGMA max_page_count = 1073741823").execute(setup.spool.app.db)
}

describe("a database that cannot grow (SQLITE_FULL) during a turn", () => {
  test("the turn and the queued one end with StorageFullError, session.error is published, the session goes idle; writes resume", async () => {
    const { client, llm, events } = setup
    const sessionID = (await client.session.create({ title: "full" })).data!.id
    const of = (type: string) => (event: Event) => event.type === type && event.properties.sessionID === sessionID
    let queued: Promise<unknown> | undefined
    llm.script(
      async () => {
        // Queue a second prompt while there is room, then cap the database and stream a long answer.
        queued = client.session.prompt({ sessionID, parts: [{ type: "text", text: "second" }] })
        await events.waitFor((event) => of("message.updated")(event) && event.properties.info.role === "user" && events.events.filter((e) => of("message.updated")(e) && e.properties.info.role === "user").length >= 2)
        await capDatabase()
        // `hang`: the stream never ends by itself; only the turn's abort on the failed write ends it. The
        // deltas come 10 ms apart, so the text is saved (every 250 ms) while it streams.
        return { text: BIG_TEXT, delayMs: 10, hang: true }
      },
      { text: BIG_TEXT, delayMs: 10, hang: true },
    )
    const first = await client.session.prompt({ sessionID, parts: [{ type: "text", text: "first" }] })
    expect(first.response.status).toBe(200)
    expect(first.data!.info).toMatchObject({ role: "assistant", finish: "error", error: { name: "StorageFullError", data: { message: expect.stringContaining("SQLITE_FULL") } } })
    const second = (await queued) as { data?: { info: unknown } }
    expect(second.data?.info).toMatchObject({ role: "assistant", error: { name: "StorageFullError" } })

    await events.waitFor(() => events.events.filter(of("session.error")).length >= 2)
    expect(events.events.filter(of("session.error")).map((event) => event.properties.error.name)).toEqual(["StorageFullError", "StorageFullError"])
    await events.waitFor(of("session.idle"))
    expect((await client.session.status()).data).toEqual({})

    // Writes answer 507 while the database is full; reads answer.
    const refused = await client.session.prompt({ sessionID, noReply: true, parts: [{ type: "text", text: "x".repeat(300_000) }] })
    expect(refused.response.status).toBe(507)
    expect(refused.error).toMatchObject({ name: "StorageFullError" })
    expect((await client.session.messages({ sessionID })).response.status).toBe(200)
    // prompt_async has answered 204 before it stores anything: its failure comes as session.error.
    const started = await client.session.promptAsync({ sessionID, parts: [{ type: "text", text: "y".repeat(300_000) }] })
    expect(started.response.status).toBe(204)
    await events.waitFor(() => events.events.filter(of("session.error")).length >= 3)
    expect(events.events.filter(of("session.error"))[2].properties.error).toMatchObject({ name: "StorageFullError" })

    await uncapDatabase()
    llm.script({ text: "Room again." })
    const after = await client.session.prompt({ sessionID, parts: [{ type: "text", text: "third" }] })
    expect(after.data!.info).toMatchObject({ role: "assistant", finish: "stop" })
    const stored = (await client.session.messages({ sessionID })).data!
    expect(stored.at(-1)!.parts.find((part) => part.type === "text")).toMatchObject({ text: "Room again." })
    // The refused prompt left nothing behind (its message and text are stored together or not at all).
    expect(stored.filter((message) => message.info.role === "user").map((message) => (message.parts[0] as { text: string }).text)).toEqual(["first", "second", "third"])
  })
})
