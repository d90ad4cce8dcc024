import { closeSync, openSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { collectEvents, startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from "../fixture/tmpfs.ts"

/**
 * Issue 8, "Faults": the disk holding the data directory fills up. A real `spool serve` keeps its data
 * on a small tmpfs; a filler file takes the last free byte, before a prompt and in the middle of a turn.
 * The server must stay up (it runs with `--unhandled-rejections=strict`, so a single unhandled rejection
 * kills it and fails these tests), the running turn ends with `StorageFullError` (in the prompt's answer
 * and in a `session.error` event), writes answer 507 with the named body, reads go on answering 200 with
 * everything committed before intact, the session goes back to idle, the queue goes on, and once the
 * filler is deleted, writes resume.
 */

const MODEL = { providerID: "anthropic", modelID: "claude-sonnet-4-5" }
/** A text too large for any slack left in SQLite's WAL file: its first save has to grow the file. */
const BIG_TEXT = Array.from({ length: 64 }, (_, index) => `${String(index).padStart(4, "0")} ${"lorem ipsum ".repeat(340)}`)

type Messages = NonNullable<Awaited<ReturnType<OpencodeClient["session"]["messages"]>>["data"]>

const unavailable = tmpfsUnavailable()
if (unavailable) console.warn(`skipping the disk-full tests: ${unavailable}`)

describe.skipIf(unavailable !== undefined)("a full disk under a running spool serve", () => {
  let mount: Tmpfs
  let llm: FakeLLM
  let spool: SpoolProcess
  let repo: TempDir
  let home: TempDir
  let client: OpencodeClient
  let stream: Awaited<ReturnType<typeof collectEvents>>
  const filler = () => join(mount.path, "filler")

  /** Writes the filler until the file system has not one byte left. */
  function fill() {
    const fd = openSync(filler(), "a")
    try {
      for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
        const chunk = Buffer.alloc(size, 0x61)
        try {
          for (;;) writeSync(fd, chunk)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error
        }
      }
    } finally {
      closeSync(fd)
    }
  }

  function serverEnv() {
    return {
      SPOOL_DATA_DIR: mount.path,
      XDG_CONFIG_HOME: home.path,
      ANTHROPIC_API_KEY: "test",
      ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
      // Any unhandled rejection kills the process, whatever handler Spool installs.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --unhandled-rejections=strict`.trim(),
    }
  }

  function free() {
    rmSync(filler(), { force: true })
  }

  async function messages(sessionID: string): Promise<Messages> {
    const result = await client.session.messages({ sessionID })
    expect(result.response.status).toBe(200)
    return result.data!
  }

  async function newSession(title: string) {
    const created = await client.session.create({ title })
    expect(created.error).toBeUndefined()
    return created.data!
  }

  /** The process is alive and answers; nothing in its log says a rejection went unhandled. */
  async function expectServing() {
    expect(spool.child.exitCode).toBeNull()
    expect(spool.child.signalCode).toBeNull()
    const health = await fetch(`${spool.url}/global/health`)
    expect(health.status).toBe(200)
    expect(spool.stderr()).not.toMatch(/unhandled/i)
  }

  beforeAll(async () => {
    mount = mountTmpfs("size=16m")
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    home = tempDir({ prefix: "spool-home-" })
    spool = await startSpool({ cwd: repo.path, env: serverEnv() })
    client = spool.client(repo.path)
    stream = await collectEvents(client, repo.path)
    await stream.waitFor((event) => event.type === "server.connected")
  })

  afterAll(async () => {
    await stream?.stop()
    await spool?.stop()
    await llm?.close()
    mount?.unmount()
    repo?.cleanup()
    home?.cleanup()
  })

  test("full before a prompt: writes answer 507 StorageFullError, reads answer 200 with everything intact; writes resume once space is freed", async () => {
    const session = await newSession("before")
    llm.script({ text: "First answer." })
    const first = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "hello" }] })
    expect(first.data?.info).toMatchObject({ role: "assistant", finish: "stop" })
    const before = await messages(session.id)

    fill()
    const stored = await client.session.prompt({ sessionID: session.id, model: MODEL, noReply: true, parts: [{ type: "text", text: "note ".repeat(20_000) }] })
    expect(stored.response.status).toBe(507)
    expect(stored.error).toMatchObject({ name: "StorageFullError", data: { message: expect.stringContaining("SQLITE_FULL") } })
    const prompted = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "again ".repeat(20_000) }] })
    expect(prompted.response.status).toBe(507)
    expect(prompted.error).toMatchObject({ name: "StorageFullError" })
    const renamed = await client.session.update({ sessionID: session.id, title: "t".repeat(200_000) })
    expect(renamed.response.status).toBe(507)
    // prompt_async has answered 204 before it stores anything: its failure comes as session.error.
    const started = await client.session.promptAsync({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "later" }] })
    expect(started.response.status).toBe(204)
    const failed = await stream.waitFor((event) => event.type === "session.error" && event.properties.sessionID === session.id)
    expect(failed.properties.error).toMatchObject({ name: "StorageFullError" })

    expect((await client.session.get({ sessionID: session.id })).response.status).toBe(200)
    expect((await client.session.list()).response.status).toBe(200)
    expect((await client.session.status()).data).toEqual({})
    expect(await messages(session.id)).toEqual(before)
    expect(llm.requests).toHaveLength(1)
    await expectServing()

    free()
    llm.script({ text: "Back again." })
    const after = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "still there?" }] })
    expect(after.data?.info).toMatchObject({ role: "assistant", finish: "stop" })
    expect(after.data?.info.role === "assistant" && after.data.info.error).toBeFalsy()
    const listed = await messages(session.id)
    expect(listed.slice(0, before.length)).toEqual(before)
    expect(listed.at(-1)?.parts.find((part) => part.type === "text")).toMatchObject({ text: "Back again." })
  })

  test("full in the middle of a turn: the turn ends with StorageFullError, session.error is published, the queue goes on, committed parts are intact, writes resume", async () => {
    free()
    const session = await newSession("mid-turn")
    const requestsBefore = llm.requests.length
    let queued: Promise<unknown> | undefined
    llm.script(
      { text: "Reading it.", toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }] },
      async () => {
        // The second step's request: first queue another prompt (stored while there is room), then take
        // the last free byte, then stream a long answer that has nowhere to go.
        queued = client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "and then?" }] })
        await stream.waitFor((event) => event.type === "message.updated" && event.properties.info.role === "user" && event.properties.info.sessionID === session.id && event.properties.info.id !== firstUser())
        fill()
        // `hang`: the stream never ends by itself; only the turn's abort on the failed write ends it.
        return { text: BIG_TEXT, delayMs: 5, hang: true }
      },
    )
    const userEvents = () => stream.events.filter((event) => event.type === "message.updated" && event.properties.info.sessionID === session.id && event.properties.info.role === "user")
    const firstUser = () => userEvents()[0]?.properties.info.id

    const answer = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "read hello.txt" }] })
    expect(answer.response.status).toBe(200)
    expect(answer.data!.info).toMatchObject({ role: "assistant", finish: "error", error: { name: "StorageFullError", data: { message: expect.stringContaining("SQLITE_FULL") } } })
    // The queued prompt's turn ran too and could not store anything either.
    const second = (await queued) as { data?: { info: { role: string; error?: { name: string } } } }
    expect(second.data?.info).toMatchObject({ role: "assistant", error: { name: "StorageFullError" } })

    const errors = await waitForCount((event) => event.type === "session.error" && event.properties.sessionID === session.id, 2)
    expect(errors.map((event) => event.properties.error.name)).toEqual(["StorageFullError", "StorageFullError"])
    await stream.waitFor((event) => event.type === "session.idle" && event.properties.sessionID === session.id)
    expect((await client.session.status()).data).toEqual({})
    // Nothing streamed on after the failure: not one delta of the long answer went out, and the queued
    // turn, which could not even store its start, never called the model.
    expect(stream.events.filter((event) => event.type === "message.part.delta" && String(event.properties.delta).includes("lorem"))).toEqual([])
    expect(llm.requests.length - requestsBefore).toBe(2)

    // The first step was committed before the disk filled: its text, the read and its result are intact.
    const stored = await messages(session.id)
    const firstStep = stored.find((message) => message.info.role === "assistant")!
    expect(firstStep.parts.map((part) => part.type)).toEqual(["step-start", "text", "tool", "step-finish"])
    expect(firstStep.parts.find((part) => part.type === "text")).toMatchObject({ text: "Reading it." })
    expect(firstStep.parts.find((part) => part.type === "tool")).toMatchObject({ tool: "read", state: { status: "completed", output: expect.stringContaining("hello world") } })
    expect(stored.filter((message) => message.info.role === "user").map((message) => message.parts[0])).toMatchObject([{ text: "read hello.txt" }, { text: "and then?" }])

    const refused = await client.session.prompt({ sessionID: session.id, noReply: true, parts: [{ type: "text", text: "note ".repeat(20_000) }] })
    expect(refused.response.status).toBe(507)
    expect(refused.error).toMatchObject({ name: "StorageFullError" })
    await expectServing()

    free()
    llm.script({ text: "Writes work again." })
    const after = await client.session.prompt({ sessionID: session.id, model: MODEL, parts: [{ type: "text", text: "are you back?" }] })
    expect(after.data?.info).toMatchObject({ role: "assistant", finish: "stop" })
    const listed = await messages(session.id)
    expect(listed.at(-1)?.parts.find((part) => part.type === "text")).toMatchObject({ text: "Writes work again." })
    expect(listed.find((message) => message.info.id === firstStep.info.id)).toEqual(firstStep)
    await expectServing()
  })

  test("starting on a full disk fails at once with a clear message; once space is freed it starts, with everything intact", async () => {
    const sessions = (await client.session.list()).data!
    await stream.stop()
    await spool.stop()
    fill()
    const failed = await startSpool({ cwd: repo.path, env: serverEnv() }).then(
      async (started) => {
        await started.stop()
        return "started"
      },
      (error: Error) => error.message,
    )
    expect(failed).toContain(`error: data directory ${mount.path} has no space left (`)
    expect(failed).toContain("free some disk space, or set SPOOL_DATA_DIR to a directory on another disk")
    expect(failed).not.toMatch(/^\s+at /m)

    free()
    spool = await startSpool({ cwd: repo.path, env: serverEnv() })
    client = spool.client(repo.path)
    stream = await collectEvents(client, repo.path)
    expect((await client.session.list()).data).toEqual(sessions)
  })

  /** Waits until `count` events match; returns them. */
  async function waitForCount(predicate: (event: { type: string; properties: any }) => boolean, count: number) {
    await stream.waitFor(() => stream.events.filter(predicate).length >= count)
    return stream.events.filter(predicate)
  }
})
