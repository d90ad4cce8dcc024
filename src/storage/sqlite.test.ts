import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
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
    expect(tables.rows.map((row) => row.name).filter((name) => !name.startsWith("part_fts"))).toEqual(["import_file", "message", "part", "project", "session", "todo"])
    await db.destroy()
  })
})
