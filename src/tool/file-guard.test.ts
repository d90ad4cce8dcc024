import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import fs from "node:fs/promises"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { editTool } from "./edit.ts"
import { createFileGuardRegistry, StaleFileError, type FileGuardRegistry } from "./file-guard.ts"
import { readTool } from "./read.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"
import { writeTool } from "./write.ts"

let dir: string
let lockDir: string
let cleanups: Array<() => Promise<void>>
let registry: FileGuardRegistry

beforeEach(async () => {
  const work = await tempDir("spool-guard-work-")
  const data = await tempDir("spool-guard-data-")
  dir = work.dir
  lockDir = path.join(data.dir, "locks")
  cleanups = [work.cleanup, data.cleanup]
  registry = createFileGuardRegistry({ lockDir })
})
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup()
})

/** A session driving the real tools with stale-write protection on. */
function session(id: string, reg: FileGuardRegistry = registry) {
  const ctx = testContext(dir, { sessionID: id, files: reg.forSession(id) })
  return {
    read: (filePath: string, page: { offset?: number; limit?: number } = {}) =>
      readTool.execute({ filePath, ...page }, ctx),
    edit: (filePath: string, oldString: string, newString: string) =>
      editTool.execute({ filePath, oldString, newString }, ctx),
    write: (filePath: string, content: string) => writeTool.execute({ filePath, content }, ctx),
  }
}

const abs = (name: string) => path.join(dir, name)
const content = (name: string) => fs.readFile(abs(name), "utf8")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const lockBase = (file: string) => path.join(lockDir, createHash("sha1").update(file).digest("hex"))

describe("file guard: stale-write protection", () => {
  test("an edit after another session's write is refused, names that session, and lands after a re-read", async () => {
    await writeTree(dir, { "a.txt": "one\ntwo\n" })
    const a = session("ses_aaa")
    const b = session("ses_bbb")
    await a.read("a.txt")
    await b.read("a.txt")
    await b.edit("a.txt", "two", "TWO")

    const refused = a.edit("a.txt", "one", "ONE")
    await expect(refused).rejects.toBeInstanceOf(StaleFileError)
    await expect(refused).rejects.toThrow(
      new RegExp(
        `^File ${abs("a.txt")} has been modified since this session last read it ` +
          `\\(by session ses_bbb at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\. Read it again before editing\\.$`,
      ),
    )
    expect(await content("a.txt")).toBe("one\nTWO\n")

    await a.read("a.txt")
    await a.edit("a.txt", "one", "ONE")
    expect(await content("a.txt")).toBe("ONE\nTWO\n")
  })

  test("a change made outside any guard is reported as another process or the user", async () => {
    await writeTree(dir, { "a.txt": "one\n" })
    const a = session("ses_aaa")
    await a.read("a.txt")
    await fs.writeFile(abs("a.txt"), "one\nuser line\n")
    await expect(a.write("a.txt", "mine\n")).rejects.toThrow(
      `File ${abs("a.txt")} has been modified since this session last read it (by another process or the user). Read it again before editing.`,
    )
    expect(await content("a.txt")).toBe("one\nuser line\n")
  })

  test("edit or write of an existing file the session never read is refused", async () => {
    await writeTree(dir, { "a.txt": "one\n" })
    const a = session("ses_aaa")
    const message = `You must read file ${abs("a.txt")} before overwriting it. Use the read tool first.`
    await expect(a.edit("a.txt", "one", "ONE")).rejects.toThrow(message)
    await expect(a.write("a.txt", "ONE\n")).rejects.toMatchObject({ name: "StaleFileError", message })
    expect(await content("a.txt")).toBe("one\n")
    // Another session's read does not count for this one.
    await session("ses_bbb").read("a.txt")
    await expect(a.edit("a.txt", "one", "ONE")).rejects.toThrow(message)
  })

  test("a new file needs no prior read, and the session may go on editing what it wrote", async () => {
    const a = session("ses_aaa")
    await a.write("new/a.txt", "one\n")
    await a.edit("new/b.txt", "", "created by edit\n")
    await a.edit("new/a.txt", "one", "ONE")
    await a.write("new/b.txt", "rewritten\n")
    expect(await content("new/a.txt")).toBe("ONE\n")
    expect(await content("new/b.txt")).toBe("rewritten\n")
  })

  test("a read of one page records the whole file", async () => {
    await writeTree(dir, { "a.txt": "l1\nl2\nl3\n" })
    const a = session("ses_aaa")
    const page = await a.read("a.txt", { limit: 1 })
    expect(page.output).toContain("Showing lines 1-1 of 3")
    await a.edit("a.txt", "l3", "L3")
    expect(await content("a.txt")).toBe("l1\nl2\nL3\n")
  })

  test("two spellings of one file (symlink) share the read record", async () => {
    await writeTree(dir, { "real/a.txt": "one\n" })
    await fs.symlink(abs("real"), abs("link"))
    const a = session("ses_aaa")
    await a.read("link/a.txt")
    await a.edit("real/a.txt", "one", "ONE")
    expect(await content("real/a.txt")).toBe("ONE\n")
  })

  test("after a restart a session may overwrite its own last write, but nothing else", async () => {
    await writeTree(dir, { "b.txt": "other\n" })
    await session("ses_aaa").write("a.txt", "mine\n")
    const restarted = createFileGuardRegistry({ lockDir })
    await session("ses_aaa", restarted).edit("a.txt", "mine", "still mine")
    expect(await content("a.txt")).toBe("still mine\n")
    await expect(session("ses_bbb", restarted).edit("a.txt", "still", "not")).rejects.toThrow(/You must read file/)
    await expect(session("ses_aaa", restarted).edit("b.txt", "other", "x")).rejects.toThrow(/You must read file/)
  })

  test("with a store, reads recorded by one registry let another edit; the in-memory view defers to the store", async () => {
    // The store is the session layer's (a database table in Spool); a Map stands in for it here.
    const rows = new Map<string, string>()
    const store = {
      load: async (sessionID: string, file: string) => rows.get(`${sessionID}\0${file}`),
      save: async (sessionID: string, file: string, hash: string | undefined) => {
        if (hash === undefined) rows.delete(`${sessionID}\0${file}`)
        else rows.set(`${sessionID}\0${file}`, hash)
      },
    }
    await writeTree(dir, { "a.txt": "one\n", "b.txt": "two\n" })
    const first = createFileGuardRegistry({ lockDir, store })
    const second = createFileGuardRegistry({ lockDir, store })
    await session("ses_aaa", first).read("a.txt")
    await session("ses_aaa", first).read("b.txt")
    expect(rows.get(`ses_aaa\0${await fs.realpath(abs("a.txt"))}`)).toBe(createHash("sha256").update("one\n").digest("hex"))
    await fs.writeFile(abs("b.txt"), "changed\n")

    await session("ses_aaa", second).edit("a.txt", "one", "ONE")
    await expect(session("ses_aaa", second).edit("b.txt", "changed", "x")).rejects.toThrow(/has been modified since this session last read it/)
    // The first registry's memory still holds "one"; the store knows the session wrote "ONE" since.
    await session("ses_aaa", first).edit("a.txt", "ONE", "ONE!")
    expect(await content("a.txt")).toBe("ONE!\n")
    await expect(session("ses_bbb", second).edit("a.txt", "ONE", "x")).rejects.toThrow(/You must read file/)
  })
})

describe("file guard: write locks", () => {
  test("two concurrent edits from two sessions: one lands, the other is refused as stale; no lost update", async () => {
    await writeTree(dir, { "a.txt": "alpha\nbeta\n" })
    const a = session("ses_aaa")
    const b = session("ses_bbb")
    await Promise.all([a.read("a.txt"), b.read("a.txt")])

    const results = await Promise.allSettled([a.edit("a.txt", "alpha", "ALPHA"), b.edit("a.txt", "beta", "BETA")])
    const landed = results.filter((result) => result.status === "fulfilled")
    const refused = results.filter((result) => result.status === "rejected")
    expect(landed).toHaveLength(1)
    expect(refused).toHaveLength(1)
    const winner = results[0].status === "fulfilled" ? "ses_aaa" : "ses_bbb"
    const error = (refused[0] as PromiseRejectedResult).reason as Error
    expect(error).toBeInstanceOf(StaleFileError)
    expect(error.message).toContain(`(by session ${winner} at `)
    expect(await content("a.txt")).toBe(winner === "ses_aaa" ? "ALPHA\nbeta\n" : "alpha\nBETA\n")

    const loser = winner === "ses_aaa" ? b : a
    await loser.read("a.txt")
    if (winner === "ses_aaa") await b.edit("a.txt", "beta", "BETA")
    else await a.edit("a.txt", "alpha", "ALPHA")
    expect(await content("a.txt")).toBe("ALPHA\nBETA\n")
  })

  test("writes to one file in one process run one at a time, in call order", async () => {
    const guard = registry.forSession("ses_aaa")
    const file = abs("a.txt")
    const log: string[] = []
    const step = (name: string, ms: number) => async () => {
      log.push(`start ${name}`)
      await sleep(ms)
      await fs.writeFile(file, name)
      log.push(`end ${name}`)
    }
    const names = ["1", "2", "3", "4", "5"]
    await Promise.all(names.map((name, i) => guard.write(file, step(name, 40 - i * 10))))
    expect(log).toEqual(names.flatMap((name) => [`start ${name}`, `end ${name}`]))
  })

  test("a second session creating the same new file waits for the first, then must read it", async () => {
    const file = abs("new.txt")
    const first = registry.forSession("ses_aaa").write(file, async () => {
      await sleep(50)
      await fs.writeFile(file, "first\n")
    })
    const second = registry.forSession("ses_bbb").write(file, async () => fs.writeFile(file, "second\n"))
    await first
    await expect(second).rejects.toThrow(`You must read file ${file} before overwriting it.`)
    expect(await content("new.txt")).toBe("first\n")
  })

  test("two spellings of one file (symlink) share one lock", async () => {
    await fs.mkdir(abs("real"))
    await fs.symlink(abs("real"), abs("link"))
    const results = await Promise.allSettled(
      ["real/new.txt", "link/new.txt"].map((name, i) =>
        registry.forSession(`ses_${i}`).write(abs(name), async () => {
          await sleep(30)
          await fs.writeFile(abs(name), `${name}\n`)
        }),
      ),
    )
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"])
    expect((results.find((result) => result.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(
      StaleFileError,
    )
  })

  test("the lock is released when the write function throws", async () => {
    const guard = registry.forSession("ses_aaa")
    const file = abs("a.txt")
    await expect(guard.write(file, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom")
    expect(existsSync(`${lockBase(file)}.lock`)).toBe(false)
    await guard.write(file, () => fs.writeFile(file, "ok"))
    expect(await content("a.txt")).toBe("ok")
  })

  test("a held lock file makes a writer wait, then time out; a stale one is taken over", async () => {
    const file = abs("a.txt")
    const lockPath = `${lockBase(file)}.lock`
    await fs.mkdir(lockPath, { recursive: true })
    const impatient = createFileGuardRegistry({ lockDir, lockWaitMs: 300 }).forSession("ses_aaa")
    const started = Date.now()
    await expect(impatient.write(file, () => fs.writeFile(file, "x"))).rejects.toThrow(
      `Timed out after 0 s waiting for the write lock on ${file}`,
    )
    // It waited (retrying): `lockOwned` gives up once the next retry (at most 100 ms away) would pass the 300 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300 - 100)
    expect(existsSync(file)).toBe(false)

    const old = new Date(Date.now() - 60_000)
    await fs.utimes(lockPath, old, old)
    await impatient.write(file, () => fs.writeFile(file, "x"))
    expect(await content("a.txt")).toBe("x")
  })

  test("across processes: waits for another process's lock, then is refused naming its session", async () => {
    await writeTree(dir, { "a.txt": "original\n" })
    const file = abs("a.txt")
    const a = session("ses_aaa")
    await a.read("a.txt")

    const script = `
      import fs from "node:fs/promises"
      const { createFileGuardRegistry } = await import(process.env.GUARD_URL)
      const guard = createFileGuardRegistry({ lockDir: process.env.LOCK_DIR }).forSession("ses_other")
      const file = process.env.TARGET
      guard.recordRead(file, await fs.readFile(file))
      await guard.write(file, async () => {
        process.stdout.write("locked\\n")
        await new Promise((resolve) => setTimeout(resolve, 300))
        await fs.writeFile(file, "from the other process\\n")
        process.stdout.write("wrote " + Date.now() + "\\n")
      })
      process.stdout.write("released\\n")
    `
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        ...process.env,
        GUARD_URL: pathToFileURL(path.join(import.meta.dirname, "file-guard.ts")).href,
        LOCK_DIR: lockDir,
        TARGET: file,
      },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk
        if (stdout.includes("locked\n")) resolve()
      })
      child.on("exit", () => reject(new Error(`child exited early: ${stdout} ${stderr}`)))
    })

    // The other process holds the lock for 300 ms before it writes: without waiting, this edit would land
    // first (this session has read the original) and then be overwritten.
    await expect(a.edit("a.txt", "original", "mine")).rejects.toThrow(
      /has been modified since this session last read it \(by session ses_other at .+\)\. Read it again before editing\.$/,
    )
    const refusedAt = Date.now()
    expect(await content("a.txt")).toBe("from the other process\n")
    expect(await exited).toBe(0)
    expect(stdout).toMatch(/^locked\nwrote \d+\nreleased\n$/)
    expect(refusedAt).toBeGreaterThanOrEqual(Number(/wrote (\d+)/.exec(stdout)![1]))

    await a.read("a.txt")
    await a.edit("a.txt", "from the other process", "mine")
    expect(await content("a.txt")).toBe("mine\n")
  })
})
