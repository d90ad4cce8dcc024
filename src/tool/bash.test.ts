import fs from "node:fs/promises"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { bashTool } from "./bash.ts"
import { tempDir, testContext } from "./test-context.ts"

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

type Args = Parameters<typeof bashTool.execute>[0]
const bash = (args: Partial<Args> & { command: string }, abort?: AbortSignal) =>
  bashTool.execute({ description: "test command", ...args }, testContext(dir, { abort }))

/** True if `pid` is running (a zombie counts as dead). */
async function alive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined)
  if (stat === undefined) return false
  return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z"
}

async function waitDead(pid: number, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (!(await alive(pid))) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return false
}

describe("bash", () => {
  test("runs in the session directory; title is the description", async () => {
    const result = await bash({ command: "pwd", description: "Print working directory" })
    expect(result.output).toBe(`${dir}\n`)
    expect(result.title).toBe("Print working directory")
    expect(result.metadata).toEqual({ output: `${dir}\n`, exit: 0, description: "Print working directory", truncated: false })
  })

  test("interleaves stdout and stderr in write order", async () => {
    const result = await bash({ command: "echo one; echo two >&2; echo three; echo four >&2" })
    expect(result.output).toBe("one\ntwo\nthree\nfour\n")
  })

  test("a non-zero exit is not an error: output and exit code are reported", async () => {
    const result = await bash({ command: "echo failing; exit 7" })
    expect(result.metadata.exit).toBe(7)
    expect(result.output).toBe("failing\n\n\n<bash_metadata>\nCommand exited with code 7\n</bash_metadata>")
  })

  test("workdir is resolved inside the session directory", async () => {
    await fs.mkdir(path.join(dir, "sub"))
    expect((await bash({ command: "pwd", workdir: "sub" })).output).toBe(`${path.join(dir, "sub")}\n`)
    await expect(bash({ command: "pwd", workdir: ".." })).rejects.toThrow(/outside the session directory/)
    await expect(bash({ command: "pwd", workdir: "/" })).rejects.toThrow(/outside the session directory/)
    await expect(bash({ command: "pwd", workdir: "missing" })).rejects.toThrow(/Working directory not found/)
  })

  test("timeout kills the whole process group", async () => {
    const started = Date.now()
    const result = await bash({ command: "sleep 30 & echo $! > child.pid; wait", timeout: 300 })
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.output).toContain("<bash_metadata>\nbash tool terminated command after exceeding timeout 300 ms\n</bash_metadata>")
    const pid = Number(await fs.readFile(path.join(dir, "child.pid"), "utf8"))
    expect(await waitDead(pid)).toBe(true)
  })

  test("timeout escalates to SIGKILL when SIGTERM is ignored", async () => {
    const started = Date.now()
    const result = await bash({ command: "trap '' TERM; echo started; sleep 30", timeout: 300 })
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.output).toContain("started\n")
    expect(result.output).toContain("exceeding timeout 300 ms")
  })

  test("ctx.abort stops the command", async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const started = Date.now()
    const result = await bash({ command: "echo begin; sleep 30 & echo $! > child.pid; wait" }, controller.signal)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.output).toContain("begin\n")
    expect(result.output).toContain("<bash_metadata>\nUser aborted the command\n</bash_metadata>")
    const pid = Number(await fs.readFile(path.join(dir, "child.pid"), "utf8"))
    expect(await waitDead(pid)).toBe(true)
  })

  test("an already-aborted call does not run the command", async () => {
    const controller = new AbortController()
    controller.abort()
    const result = await bash({ command: "touch ran.txt" }, controller.signal)
    expect(result.output).toContain("User aborted the command")
    await expect(fs.access(path.join(dir, "ran.txt"))).rejects.toThrow()
  })

  test("long output keeps the start and the end", async () => {
    const result = await bash({ command: "seq 1 5000" })
    expect(result.metadata.truncated).toBe(true)
    expect(result.output.startsWith("1\n2\n3\n")).toBe(true)
    expect(result.output).toContain("\n1000\n\n...3001 lines truncated...\n")
    expect(result.output).not.toContain("\n2500\n")
    expect(result.output.endsWith("\n4999\n5000\n")).toBe(true)
  })

  test("a huge single line is cut by bytes; huge streams stay bounded", async () => {
    const wide = await bash({ command: "head -c 200000 /dev/zero | tr '\\0' a" })
    expect(wide.output).toMatch(/\.\.\.\d+ bytes truncated\.\.\./)
    expect(wide.output.length).toBeLessThan(60 * 1024)

    const many = await bash({ command: "yes | head -n 2000000" })
    expect(many.output).toContain("...1998001 lines truncated...")
    expect(many.output.length).toBeLessThan(60 * 1024)
    expect((many.metadata.output as string).length).toBeLessThanOrEqual(30_005)
  })

  test("publishes progress metadata while running", async () => {
    const ctx = testContext(dir)
    await bashTool.execute({ command: "echo hi", description: "Say hi" }, ctx)
    expect(ctx.updates[0]).toEqual({ metadata: { output: "", description: "Say hi" } })
  })

  test("rejects a negative timeout", async () => {
    await expect(bash({ command: "true", timeout: -1 })).rejects.toThrow(/Invalid timeout/)
  })
})

describe("bash: process group record (crash recovery)", () => {
  test("ctx.process gets the group (pid = pgid, /proc start time) before the command runs", async () => {
    const marker = path.join(dir, "ran.txt")
    const seen: Array<{ record: { pid: number; pgid: number; startTime: number }; cmdline: string; ranAlready: boolean; pgrp: number; startTime: number }> = []
    const ctx = testContext(dir)
    ctx.process = async (record) => {
      const stat = await fs.readFile(`/proc/${record.pid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      seen.push({
        record,
        // still the gate shell, blocked on fd 3: the command has not been exec'd yet
        cmdline: (await fs.readFile(`/proc/${record.pid}/cmdline`, "utf8")).split("\0").slice(0, 2).join(" "),
        ranAlready: await fs.access(marker).then(() => true, () => false),
        pgrp: Number(fields[5 - 3]),
        startTime: Number(fields[22 - 3]),
      })
    }
    const result = await bashTool.execute({ command: `echo ran > '${marker}'; echo $$`, description: "d" }, ctx)
    expect(seen).toHaveLength(1)
    const [{ record, cmdline, ranAlready, pgrp, startTime }] = seen
    expect(record.pgid).toBe(record.pid)
    expect(pgrp).toBe(record.pid)
    expect(record.startTime).toBe(startTime)
    expect(cmdline).toBe("/bin/sh -c")
    expect(ranAlready).toBe(false)
    // the shell that ran the command is the recorded process (exec, same pid)
    expect(result.output.trim()).toBe(String(record.pid))
    expect(await fs.readFile(marker, "utf8")).toBe("ran\n")
  })

  test("a failing record does not stop the command", async () => {
    const ctx = testContext(dir)
    ctx.process = async () => {
      throw new Error("disk full")
    }
    expect((await bashTool.execute({ command: "echo still runs", description: "d" }, ctx)).output).toBe("still runs\n")
  })
})
