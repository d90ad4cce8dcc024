import { Hono } from "hono"
import { describe, expect, test } from "vitest"
import { createLogger } from "../util/log.ts"
import { StorageFullError } from "../util/named-error.ts"
import { errorHandler } from "./errors.ts"

/** A one-route app whose handler throws `error`, answered by the server's error handler. */
async function answer(error: unknown) {
  const app = new Hono().get("/", () => {
    throw error
  })
  app.onError(errorHandler(createLogger("silent")))
  const response = await app.request("/")
  return { status: response.status, body: await response.json() }
}

describe("errorHandler and a full disk", () => {
  test("StorageFullError is 507 with its named body", async () => {
    expect(await answer(new StorageFullError({ message: "full" }))).toEqual({ status: 507, body: { name: "StorageFullError", data: { message: "full" } } })
  })

  test("a raw SQLITE_FULL or ENOSPC that slipped through unnamed is 507 StorageFullError, not 500", async () => {
    const sqlite = await answer(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }))
    expect(sqlite.status).toBe(507)
    expect(sqlite.body).toMatchObject({ name: "StorageFullError", data: { message: expect.stringContaining("(SQLITE_FULL)") } })
    const wrapped = await answer(new Error("snapshot failed", { cause: Object.assign(new Error("no space left on device"), { code: "ENOSPC" }) }))
    expect(wrapped.status).toBe(507)
    expect(wrapped.body).toMatchObject({ name: "StorageFullError", data: { message: expect.stringContaining("(ENOSPC)") } })
  })

  test("anything else is still a 500 UnknownError with a reference", async () => {
    const other = await answer(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }))
    expect(other.status).toBe(500)
    expect(other.body).toMatchObject({ name: "UnknownError", data: { ref: expect.stringMatching(/^err_/) } })
  })
})
