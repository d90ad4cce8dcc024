import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SessionInfo } from "../session/index.ts"
import { repository } from "../session/repository.ts"
import { openSqlite } from "../storage/index.ts"
import { resolveSessionID, type SessionLookup } from "./resolve-session.ts"

function session(id: string, slug: string, title: string, updated: number): SessionInfo {
  return {
    id, slug, projectID: "p", directory: "/p", title, version: "0", cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }, time: { created: updated, updated },
  }
}

describe("resolveSessionID (real SQLite)", () => {
  let db: Awaited<ReturnType<typeof openSqlite>>
  let lookup: SessionLookup

  beforeAll(async () => {
    db = await openSqlite(":memory:")
    lookup = { references: () => repository.sessionReferences(db) }
    for (const info of [
      session("ses_f3a91c000001AAAAAAAAAAAAAA", "brave-otter", "Fix the tests", 3000),
      session("ses_f3a91c000002BBBBBBBBBBBBBB", "calm-river", "Write docs", 2000),
      session("ses_0b7d22000003CCCCCCCCCCCCCC", "brave-otter", "Older one", 1000),
      session("ses_9e1100000004DDDDDDDDDDDDDD", "quiet-moon", "Archived", 500),
    ]) await repository.insertSession(db, info)
  })
  afterAll(() => db.destroy())

  test("an exact id, a unique prefix with or without ses_, and a unique slug", async () => {
    await expect(resolveSessionID(lookup, "ses_f3a91c000002BBBBBBBBBBBBBB")).resolves.toBe("ses_f3a91c000002BBBBBBBBBBBBBB")
    await expect(resolveSessionID(lookup, "ses_0b7")).resolves.toBe("ses_0b7d22000003CCCCCCCCCCCCCC")
    await expect(resolveSessionID(lookup, "f3a91c000001")).resolves.toBe("ses_f3a91c000001AAAAAAAAAAAAAA")
    await expect(resolveSessionID(lookup, "calm-river")).resolves.toBe("ses_f3a91c000002BBBBBBBBBBBBBB")
    await expect(resolveSessionID(lookup, " quiet-moon ")).resolves.toBe("ses_9e1100000004DDDDDDDDDDDDDD")
  })

  test("prefixes are case-sensitive (ids are base62)", async () => {
    await expect(resolveSessionID(lookup, "f3a91c000001aaa")).rejects.toThrow(/Session not found/)
  })

  test("a prefix or slug shared by several sessions is ambiguous and names them, newest first", async () => {
    const prefix = resolveSessionID(lookup, "f3a9")
    await expect(prefix).rejects.toMatchObject({ name: "BadRequest" })
    await expect(prefix).rejects.toThrow(
      /^2 sessions have ids starting with 'f3a9': ses_f3a91c000001AAAAAAAAAAAAAA \(brave-otter, "Fix the tests"\), ses_f3a91c000002BBBBBBBBBBBBBB \(calm-river, "Write docs"\); type more of the id$/,
    )
    await expect(resolveSessionID(lookup, "brave-otter")).rejects.toThrow(/^2 sessions have the slug 'brave-otter': ses_f3a91c000001AAAAAAAAAAAAAA .*, ses_0b7d22000003CCCCCCCCCCCCCC /)
  })

  test("a miss is NotFoundError with 'did you mean' for a near slug or id prefix, and none for an unrelated string", async () => {
    await expect(resolveSessionID(lookup, "calm-rivr")).rejects.toThrow(/^Session not found: calm-rivr; did you mean ses_f3a91c000002BBBBBBBBBBBBBB \(calm-river, "Write docs"\)\?$/)
    await expect(resolveSessionID(lookup, "ses_9e1200000004")).rejects.toThrow(/did you mean ses_9e1100000004DDDDDDDDDDDDDD \(quiet-moon/)
    const unrelated = resolveSessionID(lookup, "ses_doesnotexist")
    await expect(unrelated).rejects.toMatchObject({ name: "NotFoundError" })
    await expect(unrelated).rejects.toThrow(/^Session not found: ses_doesnotexist$/)
    await expect(resolveSessionID(lookup, "")).rejects.toThrow(/^Session not found: $/)
  })
})
