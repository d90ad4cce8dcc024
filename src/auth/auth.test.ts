import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { openSqlite, type DB } from "../storage/index.ts"
import { createAuth, createCookieSessions, createPasswordCheck, hashToken, TOKEN_PREFIX } from "./index.ts"

let db: DB

beforeEach(async () => {
  db = await openSqlite(":memory:")
})

afterEach(async () => {
  await db.destroy()
})

describe("API tokens", () => {
  test("created tokens are 256-bit, printed once, stored only as their SHA-256", async () => {
    const auth = createAuth({ db })
    const created = await auth.tokens.create({ name: "ci", scope: "read" })
    expect(created.token.startsWith(TOKEN_PREFIX)).toBe(true)
    expect(Buffer.from(created.token.slice(TOKEN_PREFIX.length), "base64url")).toHaveLength(32)
    const rows = await db.selectFrom("api_token").selectAll().execute()
    expect(rows).toHaveLength(1)
    expect(rows[0].hash).toBe(hashToken(created.token))
    expect(JSON.stringify(rows)).not.toContain(created.token)
    expect(await auth.tokens.list()).toEqual([{ id: created.id, name: "ci", scope: "read", timeCreated: created.timeCreated }])
  })

  test("verify finds live tokens, records last use, and forgets revoked ones (by id or name)", async () => {
    const auth = createAuth({ db })
    const a = await auth.tokens.create({ name: "a", scope: "write" })
    const b = await auth.tokens.create({ name: "b", scope: "admin" })
    expect(await auth.token(a.token)).toEqual({ scope: "write" })
    expect(await auth.token(b.token)).toEqual({ scope: "admin" })
    expect(await auth.token(a.token + "x")).toBeUndefined()
    expect(await auth.token("not-a-token")).toBeUndefined()
    expect((await auth.tokens.list()).find((info) => info.id === a.id)?.timeLastUsed).toBeGreaterThan(0)
    expect(await auth.tokens.revoke("a")).toBe(true)
    expect(await auth.tokens.revoke(b.id)).toBe(true)
    expect(await auth.tokens.revoke("a")).toBe(false)
    expect(await auth.token(a.token)).toBeUndefined()
    expect(await auth.token(b.token)).toBeUndefined()
  })

  test("names are unique and required", async () => {
    const auth = createAuth({ db })
    await auth.tokens.create({ name: "ci", scope: "read" })
    await expect(auth.tokens.create({ name: "ci", scope: "write" })).rejects.toThrow(/exists already/)
    await expect(auth.tokens.create({ name: " ", scope: "write" })).rejects.toThrow(/needs a name/)
  })
})

describe("required()", () => {
  test("off with no password and no token; on with a password", async () => {
    expect(await createAuth({ db }).required()).toBe(false)
    expect(await createAuth({ db }).configured()).toBe(false)
    expect(await createAuth({ db, password: "pw" }).required()).toBe(true)
    expect(await createAuth({ db, password: "" }).required()).toBe(false)
  })

  test("a token turns it on, and revoking the last token does not turn it off again", async () => {
    const auth = createAuth({ db })
    const created = await createAuth({ db }).tokens.create({ name: "ci", scope: "write" })
    expect(await auth.required()).toBe(true)
    expect(await auth.configured()).toBe(true)
    await auth.tokens.revoke(created.id)
    expect(await auth.required()).toBe(true)
    expect(await auth.configured()).toBe(false)
  })
})

describe("password check", () => {
  test("any username unless pinned; the password must match exactly", () => {
    const open = createPasswordCheck("s3cret")
    expect(open("opencode", "s3cret")).toBe(true)
    expect(open("", "s3cret")).toBe(true)
    expect(open("opencode", "s3cret ")).toBe(false)
    expect(open("opencode", "")).toBe(false)
    const pinned = createPasswordCheck("s3cret", "alice")
    expect(pinned("alice", "s3cret")).toBe(true)
    expect(pinned("opencode", "s3cret")).toBe(false)
  })
})

describe("cookie sessions", () => {
  test("live until their expiry, then gone; delete ends one", () => {
    let now = 1_000
    const sessions = createCookieSessions(60_000, () => now)
    const first = sessions.create("admin")
    const second = sessions.create("read")
    expect(first.maxAgeSeconds).toBe(60)
    expect(first.id).not.toBe(second.id)
    expect(sessions.get(first.id)?.scope).toBe("admin")
    sessions.delete(second.id)
    expect(sessions.get(second.id)).toBeUndefined()
    now += 60_000
    expect(sessions.get(first.id)).toBeUndefined()
    expect(sessions.get("unknown")).toBeUndefined()
  })
})
