import { spawn, type ChildProcess } from "node:child_process"
import { once } from "node:events"
import fs from "node:fs"
import { hostname, tmpdir } from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { lockOwned, readLockOwner } from "./owned-lock.ts"
import { currentProcess, processStartTime } from "./process-identity.ts"

const linux = processStartTime(process.pid) !== undefined
let dir: string
let lockDir: string
const children: ChildProcess[] = []

beforeEach(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "spool-lock-")))
  lockDir = path.join(dir, "x.lock")
})
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL")
  fs.rmSync(dir, { recursive: true, force: true })
})

/** No waiting at all: a held lock fails at once with ELOCKED. */
const noWait = () => ({ lockfilePath: lockDir, stale: 30_000, retries: 0 })

/** Another process that takes the lock through `lockOwned` and holds it until killed. */
async function holderProcess(): Promise<ChildProcess> {
  const script = `
    const { lockOwned } = await import(process.env.LOCK_URL)
    await lockOwned(process.env.KEY, { lockfilePath: process.env.LOCK_DIR, stale: 30000, retries: 0 })
    process.stdout.write("locked\\n")
    setInterval(() => {}, 1000)
  `
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, LOCK_URL: pathToFileURL(path.join(import.meta.dirname, "owned-lock.ts")).href, LOCK_DIR: lockDir, KEY: path.join(dir, "x") },
    stdio: ["ignore", "pipe", "inherit"],
  })
  children.push(child)
  let out = ""
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      out += chunk
      if (out.includes("locked\n")) resolve()
    })
    child.once("exit", (code) => reject(new Error(`holder exited early (${code})`)))
  })
  return child
}

describe.skipIf(!linux)("lockOwned", () => {
  test("records the holder in the lock, and removes it all on release", async () => {
    const release = await lockOwned(path.join(dir, "x"), noWait())
    expect(readLockOwner(lockDir)).toEqual({ ...currentProcess(), host: hostname() })
    await release()
    expect(fs.existsSync(lockDir)).toBe(false)
  })

  test("a lock held by a live process is not taken; once that process is killed -9 it is taken at once", async () => {
    const holder = await holderProcess()
    expect(readLockOwner(lockDir)?.pid).toBe(holder.pid)
    await expect(lockOwned(path.join(dir, "x"), noWait())).rejects.toMatchObject({ code: "ELOCKED" })

    // Even when its mtime looks stale (a stuck event loop), a live holder's lock is left alone.
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(lockDir, old, old)
    await expect(lockOwned(path.join(dir, "x"), noWait())).rejects.toMatchObject({ code: "ELOCKED" })
    expect(readLockOwner(lockDir)?.pid).toBe(holder.pid)

    const exited = once(holder, "exit")
    holder.kill("SIGKILL")
    await exited
    const fresh = new Date()
    fs.utimesSync(lockDir, fresh, fresh) // young: only the dead owner frees it
    const release = await lockOwned(path.join(dir, "x"), noWait())
    expect(readLockOwner(lockDir)?.pid).toBe(process.pid)
    await release()
  })

  test("an owner whose pid now belongs to another process (other start time) counts as dead", async () => {
    fs.mkdirSync(lockDir)
    const self = currentProcess()
    fs.writeFileSync(path.join(lockDir, "owner.json"), JSON.stringify({ pid: process.ppid, startTime: processStartTime(process.ppid)! + 7, host: hostname() }))
    const release = await lockOwned(path.join(dir, "x"), noWait())
    expect(readLockOwner(lockDir)).toMatchObject({ pid: self.pid })
    await release()
  })

  test("an unknown owner (no owner.json) or one on another host waits for the stale age, as before", async () => {
    fs.mkdirSync(lockDir)
    await expect(lockOwned(path.join(dir, "x"), noWait())).rejects.toMatchObject({ code: "ELOCKED" })
    fs.writeFileSync(path.join(lockDir, "owner.json"), JSON.stringify({ pid: 2 ** 22 + 1, host: `not-${hostname()}` }))
    await expect(lockOwned(path.join(dir, "x"), noWait())).rejects.toMatchObject({ code: "ELOCKED" })
    // ...and is taken once it is older than `stale`
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(lockDir, old, old)
    const release = await lockOwned(path.join(dir, "x"), noWait())
    await release()
  })
})

describe("errors other than a held lock", () => {
  test("are not retried: a lock directory that cannot be created rejects with its own code, even with retries forever", async () => {
    const file = path.join(dir, "regular-file")
    fs.writeFileSync(file, "")
    const attempt = lockOwned(path.join(dir, "y"), { lockfilePath: path.join(file, "y.lock"), stale: 30_000, retries: { forever: true, minTimeout: 10, maxTimeout: 50 } })
    await expect(attempt).rejects.toMatchObject({ code: "ENOTDIR" })
  })
})
