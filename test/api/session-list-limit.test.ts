import type { OpencodeClient, Session } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { repository } from "../../src/session/repository.ts"
import type { SessionInfo } from "../../src/session/index.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * `GET /session?limit=`: any non-negative integer, as OpenCode 1.18 accepts it (0 → `[]`, no upper
 * cap); pages larger than one batch are streamed and still carry the next-page cursor.
 */
let spool: SpoolApp
let client: OpencodeClient
/** Every session of the repo's project, newest first. */
const expected: string[] = []
const TOTAL = 2_500

beforeAll(async () => {
  spool = await startSpoolApp()
  client = spool.client()
  const template = (await client.session.create({ title: "template" })).data! as unknown as SessionInfo
  const base = template.time.updated
  // Seeded straight into the store (one transaction), more than two batches of 500.
  await spool.app.db.transaction().execute(async (trx) => {
    for (let index = 0; index < TOTAL; index++) {
      const id = `ses_${String(index).padStart(8, "0")}seeded${"x".repeat(8)}`
      const time = base - 1 - Math.floor(index / 2) // pairs share a time: the id breaks the tie
      await repository.insertSession(trx, { ...template, id, slug: `seed-${index}`, title: `seeded ${index}`, time: { created: time, updated: time } })
    }
  })
  const { rows } = await import("kysely").then(({ sql }) =>
    sql<{ id: string }>`select id from session where project_id = ${template.projectID} and time_archived is null order by time_updated desc, id desc`.execute(spool.app.db),
  )
  expected.push(...rows.map((row) => row.id))
}, 60_000)

afterAll(async () => {
  await spool?.close()
})

async function list(query: string): Promise<{ response: Response; ids: string[] }> {
  const response = await spool.fetch(`/session?directory=${encodeURIComponent(spool.repo)}&${query}`)
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toMatch(/^application\/json/)
  const body = (await response.json()) as Session[]
  return { response, ids: body.map((session) => session.id) }
}

describe("GET /session limit", () => {
  test("limit=0 answers [] with no next page", async () => {
    const { response, ids } = await list("limit=0")
    expect(ids).toEqual([])
    expect(response.headers.get("x-next-cursor")).toBeNull()
    expect((await client.session.list({ limit: 0 })).data).toEqual([])
  })

  test("no upper cap: limit=1000000 returns every session in order, without a next page", async () => {
    expect(expected.length).toBe(TOTAL + 1)
    const { response, ids } = await list("limit=1000000")
    expect(ids).toEqual(expected)
    expect(response.headers.get("x-next-cursor")).toBeNull()
    expect(response.headers.get("link")).toBeNull()
    // The official SDK gets the same list.
    expect((await client.session.list({ limit: 1_000_000 })).data!.map((session) => session.id)).toEqual(expected)
  })

  test("a streamed page (larger than one batch) carries the cursor of the next one: no gap, no duplicate", async () => {
    const first = await list("limit=1201")
    expect(first.ids).toEqual(expected.slice(0, 1201))
    const cursor = first.response.headers.get("x-next-cursor")
    expect(cursor).not.toBeNull()
    const second = await list(`limit=1201&before=${cursor}`)
    expect(second.ids).toEqual(expected.slice(1201, 2402))
    // The last page ends the walk exactly.
    const lastCursor = (await list(`limit=${TOTAL + 1 - 1201}&before=${cursor}`)).response.headers.get("x-next-cursor")
    expect(lastCursor).toBeNull()
  })

  test("a page exactly as long as the rest of the list has no next page", async () => {
    const { response, ids } = await list(`limit=${TOTAL + 1}`)
    expect(ids.length).toBe(TOTAL + 1)
    expect(response.headers.get("x-next-cursor")).toBeNull()
  })

  test("negative or fractional limits are 400 naming the parameter", async () => {
    for (const limit of ["-1", "1.5", "ten"]) {
      const response = await spool.fetch(`/session?limit=${limit}`)
      expect(response.status).toBe(400)
      const body = (await response.json()) as { name: string; data: { message: string } }
      expect(body.name).toBe("BadRequest")
      expect(body.data.message).toContain("limit")
    }
  })
})
