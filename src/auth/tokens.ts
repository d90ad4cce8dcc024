import { createHash, randomBytes } from "node:crypto"
import type { DB } from "../storage/index.ts"

/**
 * What a credential may do over HTTP. `read`: `GET`/`HEAD` only. `write`: every route. `admin`: every
 * route too — token management has no HTTP route (only `spool token`, which needs the data directory),
 * so over HTTP `admin` and `write` are the same today; `admin` is reserved for admin routes to come.
 */
export type Scope = "read" | "write" | "admin"

/** The scopes, weakest first. */
export const SCOPES: readonly Scope[] = ["read", "write", "admin"]

/** A stored API token as listed: never the token itself, nor its hash. Times are epoch ms. */
export interface TokenInfo {
  id: string
  name: string
  scope: Scope
  timeCreated: number
  /** `undefined` until first use; updated at most once a minute (`LAST_USED_RESOLUTION_MS`). */
  timeLastUsed?: number
}

/** Prefix of every token Spool issues, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = "spool_"

/** `time_last_used` is written at most this often per token (a write per request would cost a transaction). */
const LAST_USED_RESOLUTION_MS = 60_000

/** API tokens over the `api_token` table (migration 0003). */
export interface TokenStore {
  /**
   * Creates a token: `spool_` + 256 random bits (base64url). Returns it with its info; the token is not
   * stored (only its SHA-256) and cannot be shown again. @throws Error when the name is taken or empty.
   */
  create(input: { name: string; scope: Scope }): Promise<TokenInfo & { token: string }>
  /** The token's info when `token` is a live token (constant-time by construction: lookup by digest). */
  verify(token: string): Promise<TokenInfo | undefined>
  /** Every token, oldest first. */
  list(): Promise<TokenInfo[]>
  /** Deletes the token with this id or name; false when there is none. */
  revoke(idOrName: string): Promise<boolean>
  /** Whether at least one token exists. */
  any(): Promise<boolean>
}

/**
 * SHA-256 hex digest of a token. A plain fast hash is right here, unlike for passwords: the token is
 * 256 bits from `randomBytes`, so no dictionary or brute-force attack on a leaked digest is feasible,
 * and a slow KDF (bcrypt, scrypt) would add tens of ms to every request. The digest is also the
 * lookup key, so verifying never compares secrets byte by byte in JavaScript.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex")
}

/** Creates the token store over Spool's database. */
export function createTokenStore(db: DB): TokenStore {
  const lastWritten = new Map<string, number>()
  return {
    async create({ name, scope }) {
      const trimmed = name.trim()
      if (trimmed === "") throw new Error("a token needs a name (--name)")
      if (!SCOPES.includes(scope)) throw new Error(`unknown scope "${scope}": expected ${SCOPES.join(", ")}`)
      const existing = await db.selectFrom("api_token").select("id").where("name", "=", trimmed).executeTakeFirst()
      if (existing) throw new Error(`a token named "${trimmed}" exists already (${existing.id}); revoke it first or pick another name`)
      const token = TOKEN_PREFIX + randomBytes(32).toString("base64url")
      const info: TokenInfo = { id: `tok_${randomBytes(8).toString("hex")}`, name: trimmed, scope, timeCreated: Date.now() }
      await db
        .insertInto("api_token")
        .values({ id: info.id, name: info.name, scope: info.scope, hash: hashToken(token), time_created: info.timeCreated, time_last_used: null })
        .execute()
      return { ...info, token }
    },
    async verify(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined
      const row = await db.selectFrom("api_token").selectAll().where("hash", "=", hashToken(token)).executeTakeFirst()
      if (!row) return undefined
      const now = Date.now()
      if (now - (lastWritten.get(row.id) ?? row.time_last_used ?? 0) >= LAST_USED_RESOLUTION_MS) {
        lastWritten.set(row.id, now)
        await db.updateTable("api_token").set({ time_last_used: now }).where("id", "=", row.id).execute()
        row.time_last_used = now
      }
      return toInfo(row)
    },
    async list() {
      const rows = await db.selectFrom("api_token").selectAll().orderBy("time_created").orderBy("id").execute()
      return rows.map(toInfo)
    },
    async revoke(idOrName) {
      const result = await db.deleteFrom("api_token").where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)])).executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
    async any() {
      const row = await db.selectFrom("api_token").select("id").limit(1).executeTakeFirst()
      return row !== undefined
    },
  }
}

function toInfo(row: { id: string; name: string; scope: string; time_created: number; time_last_used: number | null }): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scope: SCOPES.includes(row.scope as Scope) ? (row.scope as Scope) : "read",
    timeCreated: row.time_created,
    ...(row.time_last_used !== null ? { timeLastUsed: row.time_last_used } : {}),
  }
}
