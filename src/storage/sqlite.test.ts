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
    expect(dataDirectoryError("/data", full)?.message).toContain("data directory /data has no space left (SQLITE_FULL: database or disk is full)")
    expect(dataDirectoryError("/data", Object.assign(new Error("locked"), { code: "ELOCKED" }))).toBeUndefined()
    expect(dataDirectoryError("/data", new Error("bug"))).toBeUndefined()
  })
})
