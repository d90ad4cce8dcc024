import { sql } from "kysely"
import { describe, expect, test } from "vitest"
import { createBus } from "../bus/index.ts"
import { openSqlite } from "../storage/index.ts"
import { StorageFullError } from "../util/named-error.ts"
import type { Part, UserMessage } from "./schema.ts"
import { createWriter, watchWrites } from "./writer.ts"

const user: UserMessage = {
  id: "msg_0000000000001AAAAAAAAAAAAA",
  sessionID: "ses_0000000000001AAAAAAAAAAAAA",
  role: "user",
  time: { created: 1 },
  agent: "build",
  model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" },
}
const text = (id: string, value: string): Part => ({ id, sessionID: user.sessionID, messageID: user.id, type: "text", text: value })

describe("writer and a full database", () => {
  test("messageWithParts stores all or nothing; watchWrites reports each failure as StorageFullError and still throws it", async () => {
    const db = await openSqlite(":memory:")
    await sql`PRAGMA foreign_keys = OFF`.execute(db)
    const bus = createBus()
    const events: string[] = []
    bus.subscribe((event) => events.push(event.type))
    const failures: unknown[] = []
    const writer = watchWrites(createWriter(db, bus), (error) => failures.push(error))

    const [{ page_count: pages }] = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows
    await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(db)
    const error = await writer
      .messageWithParts(user, [text("prt_0000000000001AAAAAAAAAAAAA", "small"), text("prt_0000000000002AAAAAAAAAAAAA", "x".repeat(300_000))], "/repo")
      .catch((caught: unknown) => caught)
    expect(StorageFullError.isInstance(error)).toBe(true)
    expect(failures).toEqual([error])
    expect(events).toEqual([])
    expect((await sql`SELECT count(*) AS n FROM message`.execute(db)).rows).toEqual([{ n: 0 }])
    expect((await sql`SELECT count(*) AS n FROM part`.execute(db)).rows).toEqual([{ n: 0 }])

    await sql.raw("PRAGMA max_page_count = 1073741823").execute(db)
    await writer.messageWithParts(user, [text("prt_0000000000001AAAAAAAAAAAAA", "small")], "/repo")
    expect(events).toEqual(["message.updated", "message.part.updated"])
    expect(failures).toHaveLength(1)
    await db.destroy()
  })
})
