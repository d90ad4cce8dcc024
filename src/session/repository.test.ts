import { sql } from "kysely"
import { describe, expect, test } from "vitest"
import { createId } from "../id/index.ts"
import { openSqlite } from "../storage/index.ts"
import { repository } from "./repository.ts"
import type { SessionInfo } from "./schema.ts"

function session(projectID: string, updated: number, title = "s"): SessionInfo {
  return {
    id: createId("session"), slug: "a-b", projectID, directory: "/p", title, version: "0", cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }, time: { created: updated, updated },
  }
}

describe("session repository (SQLite)", () => {
  test("the project list ordered by time_updated is served by an index, not a table scan", async () => {
    const db = await openSqlite(":memory:")
    const plan = await sql<{ detail: string }>`explain query plan select data from session where project_id = ${"p"} and time_archived is null order by time_updated desc, id desc limit 51`.execute(db)
    const details = plan.rows.map((row) => row.detail).join("\n")
    expect(details).toContain("USING INDEX session_project_updated_idx")
    expect(details).not.toContain("USE TEMP B-TREE FOR ORDER BY")
    await db.destroy()
  })

  test("keyset pages cover every session exactly once, even with equal update times", async () => {
    const db = await openSqlite(":memory:")
    const all: SessionInfo[] = []
    for (let index = 0; index < 23; index++) {
      const info = session("p", 1000 + Math.floor(index / 3))
      all.push(info)
      await repository.insertSession(db, info)
    }
    await repository.insertSession(db, session("other", 5000))
    const seen: string[] = []
    let before: { id: string; time: number } | undefined
    do {
      const page = await repository.listSessions(db, { projectID: "p", limit: 5, before })
      seen.push(...page.items.map((item) => item.id))
      before = page.next
    } while (before)
    expect(seen).toHaveLength(23)
    expect(new Set(seen).size).toBe(23)
    const expected = [...all].sort((a, b) => b.time.updated - a.time.updated || (a.id < b.id ? 1 : -1)).map((item) => item.id)
    expect(seen).toEqual(expected)
    await db.destroy()
  })

  test("search matches % and _ literally and case-insensitively", async () => {
    const db = await openSqlite(":memory:")
    for (const title of ["100% done", "1000 done", "snake_case", "snakeXcase", "Refactor Parser"]) await repository.insertSession(db, session("p", 1, title))
    const titles = async (search: string) => (await repository.listSessions(db, { projectID: "p", limit: 10, search })).items.map((item) => item.title).sort()
    expect(await titles("0%")).toEqual(["100% done"])
    expect(await titles("e_c")).toEqual(["snake_case"])
    expect(await titles("parser")).toEqual(["Refactor Parser"])
    await db.destroy()
  })
})
