import { spawn } from "node:child_process"
import { once } from "node:events"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import BetterSqlite3 from "better-sqlite3"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"
import { isRunning, killGroup, sleepCommand, waitForExit, waitForPid } from "./process-group.ts"

/**
 * Issue 8, faults after `kill -9`: a real `spool serve` is SIGKILLed while two `bash` tool calls run
 * long commands, then restarted on the same data directory.
 * - Session A's command is a process group that keeps appending to a file (a shell plus a background
 *   loop): the restart kills the whole group (it stops growing, its pids are gone) before the part is
 *   marked interrupted, and the part says `killed`.
 * - Session B's record is made to name another process (its start time no longer matches, as when the
 *   kernel has recycled the pid): the restart must leave that process alone.
 * - A snapshot lock left by a process killed -9 (fresh, so proper-lockfile alone would wait 30 s for it
 *   to go stale) is taken over at once: the next turn gets its snapshots.
 */

const MODEL = { providerID: "anthropic", modelID: "claude-sonnet-4-5" }
const LOCK_URL = pathToFileURL(join(import.meta.dirname, "../../src/util/owned-lock.ts")).href

type Messages = NonNullable<Awaited<ReturnType<OpencodeClient["session"]["messages"]>>["data"]>

function serverEnv(llm: FakeLLM, data: TempDir): Record<string, string> {
  return {
    SPOOL_DATA_DIR: data.path,
    XDG_CONFIG_HOME: join(data.path, "config"),
    ANTHROPIC_API_KEY: "test",
    ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
  }
}

async function messagesOf(client: OpencodeClient, sessionID: string): Promise<Messages> {
  const result = await client.session.messages({ sessionID })
  expect(result.error).toBeUndefined()
  return result.data!
}

function toolPart(messages: Messages, tool: string) {
  for (const message of messages) for (const part of message.parts) if (part.type === "tool" && part.tool === tool) return part
  return undefined
}

/** Polls until the session's `bash` part runs and has recorded its process group. */
async function recordedGroup(client: OpencodeClient, sessionID: string): Promise<{ pid: number; pgid: number; startTime: number }> {
  const start = Date.now()
  while (Date.now() - start < 10_000) {
    const part = toolPart(await messagesOf(client, sessionID), "bash")
    if (part?.state.status === "running" && part.state.metadata?.process) return part.state.metadata.process as never
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error("the bash tool never recorded its process group")
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("kill -9 while bash commands run, then restart", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let first: SpoolProcess | undefined
  let second: SpoolProcess | undefined
  const leftovers: number[] = []

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
  })

  afterAll(async () => {
    for (const pgid of leftovers) killGroup(pgid)
    await first?.kill()
    await second?.stop()
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("our process groups are killed on restart, a recycled pid is not, a dead holder's snapshot lock is taken at once", async () => {
    first = await startSpool({ env: serverEnv(llm, data) })
    const client = first.client(repo.path)

    // Session A: a group that keeps writing — the shell (group leader) and a background loop.
    const pids = join(data.path, "a.pids")
    const ticks = join(data.path, "ticks.txt")
    const a = (await client.session.create({ title: "crash: group" })).data!
    llm.script({
      toolCalls: [
        {
          name: "bash",
          input: { command: `echo $$ > '${pids}'; (while :; do echo tick >> '${ticks}'; sleep 0.02; done) & echo $! >> '${pids}'; wait`, description: "Write forever" },
        },
      ],
    })
    expect((await client.session.promptAsync({ sessionID: a.id, model: MODEL, parts: [{ type: "text", text: "Start writing." }] })).error).toBeUndefined()
    const groupA = await recordedGroup(client, a.id)
    await waitFor(() => existsSync(pids) && readFileSync(pids, "utf8").trim().split("\n").length === 2, "both pids")
    const [leader, loop] = readFileSync(pids, "utf8").trim().split("\n").map(Number)
    leftovers.push(leader)
    expect(groupA).toMatchObject({ pid: leader, pgid: leader })

    // Session B: a plain long command whose record the test will falsify.
    const pidFile = join(data.path, "b.pid")
    const b = (await client.session.create({ title: "crash: recycled" })).data!
    llm.script({ toolCalls: [{ name: "bash", input: { command: sleepCommand(pidFile, 60), description: "Sleep" } }] })
    expect((await client.session.promptAsync({ sessionID: b.id, model: MODEL, parts: [{ type: "text", text: "Sleep." }] })).error).toBeUndefined()
    const groupB = await recordedGroup(client, b.id)
    const sleeper = await waitForPid(pidFile)
    leftovers.push(sleeper)
    expect(groupB.pid).toBe(sleeper)

    await waitFor(() => existsSync(ticks) && statSync(ticks).size > 0, "the loop to write")
    await first.kill()
    // SIGKILL could not stop the commands: they run on, and the file keeps growing.
    expect([isRunning(leader), isRunning(loop), isRunning(sleeper)]).toEqual([true, true, true])
    const grown = statSync(ticks).size
    await waitFor(() => statSync(ticks).size > grown, "the orphaned loop to keep writing")

    // Make B's record name a different process: same pid, other start time (a recycled pid).
    const db = new BetterSqlite3(join(data.path, "spool.db"))
    const updated = db
      .prepare("UPDATE part SET data = json_set(data, '$.state.metadata.process.startTime', ?) WHERE session_id = ? AND type = 'tool'")
      .run(groupB.startTime + 1, b.id)
    db.close()
    expect(updated.changes).toBe(1)

    // A snapshot lock held by a process that is then killed -9 (as Spool killed mid-snapshot).
    const gitDirs = readdirSync(join(data.path, "snapshot")).flatMap((project) => readdirSync(join(data.path, "snapshot", project)).map((dir) => join(data.path, "snapshot", project, dir)))
    expect(gitDirs).toHaveLength(1)
    const holder = spawn(
      process.execPath,
      ["--input-type=module", "-e", `const { lockOwned } = await import(${JSON.stringify(LOCK_URL)}); await lockOwned(process.argv[1], { lockfilePath: process.argv[1] + "/spool.lock", stale: 30000, retries: 0 }); console.log("locked"); setInterval(() => {}, 1000)`, gitDirs[0]],
      { stdio: ["ignore", "pipe", "inherit"] },
    )
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve())
      holder.once("exit", (code) => reject(new Error(`lock holder exited early (${code})`)))
    })
    const holderExited = once(holder, "exit")
    holder.kill("SIGKILL")
    await holderExited
    expect(existsSync(join(gitDirs[0], "spool.lock"))).toBe(true)

    second = await startSpool({ env: serverEnv(llm, data) })
    const after = second.client(repo.path)

    // A: the whole group is dead and the part says so; the file no longer grows.
    expect(await waitForExit(leader)).toBe(true)
    expect(await waitForExit(loop)).toBe(true)
    const partA = toolPart(await messagesOf(after, a.id), "bash")
    expect(partA?.state).toMatchObject({ status: "error", error: "Tool execution aborted", metadata: { interrupted: true, killed: true, process: groupA } })
    const final = statSync(ticks).size
    await new Promise((resolve) => setTimeout(resolve, 100)) // the loop appended every 20 ms
    expect(statSync(ticks).size).toBe(final)

    // B: the record did not match the running process, so it was left alone.
    expect(isRunning(sleeper)).toBe(true)
    const recycled = toolPart(await messagesOf(after, b.id), "bash")
    expect(recycled?.state).toMatchObject({ status: "error", metadata: { interrupted: true } })
    expect(recycled?.state.status === "error" && recycled.state.metadata?.killed).toBeUndefined()

    // The next turn in A snapshots despite the dead holder's lock: step-start carries a tree, and the
    // file the turn writes shows up as a patch.
    llm.script({ toolCalls: [{ name: "write", input: { filePath: "new.txt", content: "after the crash\n" } }] }, { text: "Done." })
    const reply = await after.session.prompt({ sessionID: a.id, model: MODEL, parts: [{ type: "text", text: "Write new.txt." }] })
    expect(reply.error).toBeUndefined()
    const turn = (await messagesOf(after, a.id)).slice(-2)
    const stepStart = turn[0].parts.find((part) => part.type === "step-start")
    expect(stepStart?.type === "step-start" && stepStart.snapshot).toMatch(/^[0-9a-f]{40}$/)
    const patch = turn[0].parts.find((part) => part.type === "patch")
    expect(patch?.type === "patch" && patch.files).toEqual([join(repo.path, "new.txt")])
    expect(second.stderr()).not.toContain("snapshot failed")
  })
})
