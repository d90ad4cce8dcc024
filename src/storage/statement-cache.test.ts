import BetterSqlite3 from "better-sqlite3"
import { describe, expect, test } from "vitest"
import { cacheStatements, openSqlite } from "./sqlite.ts"

describe("cacheStatements", () => {
  test("prepares each SQL text once and hands the statement out again", () => {
    const database = cacheStatements(new BetterSqlite3(":memory:"))
    const first = database.prepare("select 1 as one")
    expect(database.prepare("select 1 as one")).toBe(first)
    expect(database.prepare("select 2 as two")).not.toBe(first)
    expect(first.get()).toEqual({ one: 1 })
    database.close()
  })

  test("a statement still being iterated is not shared: the second caller gets a new one", () => {
    const database = cacheStatements(new BetterSqlite3(":memory:"))
    database.exec("create table t (n integer); insert into t values (1), (2), (3)")
    const sql = "select n from t order by n"
    const iterating = database.prepare(sql)
    const rows = iterating.iterate() as IterableIterator<{ n: number }>
    expect(rows.next().value).toEqual({ n: 1 })
    const other = database.prepare(sql)
    expect(other).not.toBe(iterating)
    expect(other.all()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }])
    database.close()
  })

  test("evicts the least recently used statement beyond its capacity", () => {
    const database = cacheStatements(new BetterSqlite3(":memory:"), 2)
    const a = database.prepare("select 'a'")
    const b = database.prepare("select 'b'")
    expect(database.prepare("select 'a'")).toBe(a) // a is now the most recent
    database.prepare("select 'c'") // evicts b
    expect(database.prepare("select 'a'")).toBe(a)
    expect(database.prepare("select 'b'")).not.toBe(b)
    database.close()
  })

  test("Kysely through the cache: writes, reads and transactions see each other", async () => {
    const db = await openSqlite(":memory:")
    await db.schema.createTable("kv").addColumn("k", "text", (column) => column.primaryKey()).addColumn("v", "integer").execute()
    for (let round = 0; round < 3; round++) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("kv" as never).values({ k: `k${round}`, v: round } as never).execute()
      })
      const rows = await db.selectFrom("kv" as never).selectAll().orderBy("k" as never).execute()
      expect(rows).toHaveLength(round + 1)
    }
    await db.destroy()
  })
})
