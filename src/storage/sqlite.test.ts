import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
import { mountTmpfs, tmpfsUnavailable } from "../../test/fixture/tmpfs.ts"
import { StorageFullError } from "../util/named-error.ts"
import { DataDirectoryError, dataDirectoryError } from "./data-dir.ts"
import { openSqlite } from "./sqlite.ts"

const MODULE = fileURLToPath(new URL("./sqlite.ts", import.meta.url))

describe("openSqlite", () => {
  test("sets WAL, foreign keys and the busy timeout", async () => {
    const db = await openSqlite(join(mkdtempSync(join(tmpdir(), "spool-db-")), "spool.db"))
    const pragma = async (name: string) => {
      const { sql } = await import("kysely")
      return (await sql.raw(`pragma ${name}`).execute(db)).rows[0] as Record<string, unknown>
    }
    expect(Object.values(await pragma("journal_mode"))[0]).toBe("wal")
    expect(Object.values(await pragma("foreign_keys"))[0]).toBe(1)
    expect(Object.values(await pragma("busy_timeout"))[0]).toBe(5000)
    await db.destroy()
  })

  test("six processes opening a fresh database at once all migrate it without error", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "spool-db-")), "spool.db")
    // Every child waits for the same instant before opening, so the migrations really overlap.
    const startAt = Date.now() + 3000
    const script = `const { openSqlite } = await import(${JSON.stringify(MODULE)}); await new Promise((r) => setTimeout(r, Math.max(0, ${startAt} - Date.now()))); const db = await openSqlite(${JSON.stringify(file)}); await db.destroy(); console.log("ok")`
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] }))
    const results = await Promise.all(
      children.map(async (child) => {
        let output = ""
        child.stdout.on("data", (chunk) => (output += chunk))
        let errors = ""
        child.stderr.on("data", (chunk) => (errors += chunk))
        const [code] = await once(child, "exit")
        return { code, output: code === 0 ? output : `${output}${errors}` }
      }),
    )
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ code: 0, output: "ok\n" })))
    const db = await openSqlite(file)
    const { sql } = await import("kysely")
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'kysely%' order by name`.execute(db)
    expect(tables.rows.map((row) => row.name).filter((name) => !name.startsWith("part_fts"))).toEqual(expect.arrayContaining(["import_file", "message", "part", "project", "session", "todo"]))
    await db.destroy()
  })
})

const unavailable = tmpfsUnavailable()

describe("openSqlite on a data directory it cannot write", () => {
  test("a directory under a regular file: DataDirectoryError (ENOTDIR), without waiting for the lock", async () => {
    const parent = mkdtempSync(join(tmpdir(), "spool-db-"))
    writeFileSync(join(parent, "file"), "")
    const error = await openSqlite(join(parent, "file", "data", "spool.db")).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DataDirectoryError)
    expect((error as DataDirectoryError).code).toBe("ENOTDIR")
    expect((error as Error).message).toBe(
      `data directory ${join(parent, "file", "data")} cannot be created (ENOTDIR: not a directory): set SPOOL_DATA_DIR to a writable directory or fix its permissions`,
    )
  })

  test.skipIf(unavailable !== undefined)("an existing database on a file system remounted read-only: DataDirectoryError (EROFS)", async () => {
    const mount = mountTmpfs("size=2m")
    try {
      const file = join(mount.path, "spool.db")
      await (await openSqlite(file)).destroy()
      mount.remount("ro")
      const error = await openSqlite(file).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(DataDirectoryError)
      expect((error as DataDirectoryError).code).toBe("EROFS")
    } finally {
      mount.unmount()
    }
  })
})

describe("dataDirectoryError", () => {
  test("names the directory and the code of SQLite's errors and of what a StorageFullError wraps", () => {
    const readOnly = Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY" })
    expect(dataDirectoryError("/data", readOnly)?.message).toBe(
      "data directory /data is not writable (SQLITE_READONLY: attempt to write a readonly database): set SPOOL_DATA_DIR to a writable directory or fix its permissions",
    )
    const full = new StorageFullError({ message: "full" }, { cause: Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }) })
    expect(dataDirectoryError("/data", full)?.message).toBe(
      "data directory /data has no space left (SQLITE_FULL: database or disk is full): free some disk space, or set SPOOL_DATA_DIR to a directory on another disk",
    )
    expect(dataDirectoryError("/data", Object.assign(new Error("locked"), { code: "ELOCKED" }))).toBeUndefined()
    expect(dataDirectoryError("/data", new Error("bug"))).toBeUndefined()
  })
})

describe("the storage boundary", () => {
  test("a transaction SQLite already ended itself reports its own error, not the failed ROLLBACK", async () => {
    const db = await openSqlite(":memory:")
    const { sql } = await import("kysely")
    // SQLite rolls back by itself on SQLITE_FULL (and IOERR, NOMEM); here the transaction is ended behind Kysely's back.
    const error = await db
      .transaction()
      .execute(async (trx) => {
        await sql`ROLLBACK`.execute(trx)
        throw new Error("the error that matters")
      })
      .catch((caught: unknown) => caught)
    expect((error as Error).message).toBe("the error that matters")
    // An ordinary failed transaction is still rolled back.
    await sql`CREATE TABLE item (value TEXT)`.execute(db)
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`INSERT INTO item VALUES ('kept?')`.execute(trx)
        throw new Error("undo")
      })
      .catch(() => {})
    expect((await sql`SELECT count(*) AS n FROM item`.execute(db)).rows).toEqual([{ n: 0 }])
    await db.destroy()
  })

  test("a full database (SQLITE_FULL) throws StorageFullError, inside transactions too, and writes resume once there is room", async () => {
    const db = await openSqlite(join(mkdtempSync(join(tmpdir(), "spool-db-")), "spool.db"))
    const { sql } = await import("kysely")
    await sql`CREATE TABLE item (value TEXT)`.execute(db)
    const [{ page_count: pages }] = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows
    // No page may be added: the same SQLITE_FULL a full disk gives.
    await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(db)
    const big = "x".repeat(200_000)
    const plain = await sql`INSERT INTO item VALUES (${big})`.execute(db).catch((caught: unknown) => caught)
    expect(StorageFullError.isInstance(plain)).toBe(true)
    expect((plain as Error).message).toMatch(/^No space left to store Spool's data \(SQLITE_FULL\)/)
    expect(((plain as Error).cause as { code?: string }).code).toBe("SQLITE_FULL")
    const inTransaction = await db
      .transaction()
      .execute((trx) => sql`INSERT INTO item VALUES (${big})`.execute(trx))
      .catch((caught: unknown) => caught)
    expect(StorageFullError.isInstance(inTransaction)).toBe(true)

    await sql.raw(`PRAGMA max_page_count = 1073741823`).execute(db)
    await db.transaction().execute((trx) => sql`INSERT INTO item VALUES (${big})`.execute(trx))
    expect((await sql<{ n: number }>`SELECT count(*) AS n FROM item`.execute(db)).rows).toEqual([{ n: 1 }])
    await db.destroy()
  })
})
