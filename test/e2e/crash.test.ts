import { execFile } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import type { OpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"
import { isRunning, killGroup, sleepCommand, waitForExit, waitForPid } from "./process-group.ts"

/**
 * The crash test: a real `spool serve` is killed with SIGKILL in the middle of a turn — one
 * session with a finished first step and a `bash` tool still running in its second step, another
 * session with text half streamed — then restarted on the same data directory. Everything that was
 * finished must come back byte for byte; everything that was in flight must come back closed
 * (interrupted tool whose command is killed, ended text, completed-with-error message); and both sessions must go on working,
 * with a history the provider accepts (every `tool_use` answered by a `tool_result`). A CLI process
 * that opens the same database while the server is alive must not mistake its running turns for crash
 * leftovers.
 *
 * Also: SIGTERM in the middle of the same kind of turn shuts the server down promptly, stops the
 * running command, and leaves nothing for crash recovery to repair.
 */

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const MODEL = { providerID: "anthropic", modelID: "claude-sonnet-4-5" }
const STREAMED = ["Once ", "upon ", "a ", "time ", "there ", "was"]
const RECOVERY_LOG = "interrupted by a previous crash"

type Messages = NonNullable<Awaited<ReturnType<OpencodeClient["session"]["messages"]>>["data"]>
type Part = Messages[number]["parts"][number]
type Event = { type: string; properties: any }

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

/**
 * The `/event` stream of a server, like the fixture's `collectEvents`, but giving up at the first
 * disconnect (the SDK would otherwise wait 3 s to reconnect to a server the test has stopped);
 * `ended` resolves when the stream is over.
 */
async function watch(client: OpencodeClient, directory: string) {
  const events: Event[] = []
  const controller = new AbortController()
  const result = await client.event.subscribe({ directory }, { signal: controller.signal, sseMaxRetryAttempts: 1 })
  const ended = (async () => {
    try {
      for await (const event of result.stream) events.push(event as Event)
    } catch {
      // aborted
    }
  })()
  return {
    events,
    ended,
    async waitFor(predicate: (event: Event) => boolean, timeoutMs = 10_000) {
      const start = Date.now()
      while (Date.now() - start < timeoutMs) {
        const found = events.find(predicate)
        if (found) return found
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      throw new Error(`timed out waiting for an event; got ${events.map((event) => event.type).join(", ")}`)
    },
    async stop() {
      controller.abort()
      await ended
    },
  }
}

const toolRunning = (sessionID: string, tool: string) => (event: Event) =>
  event.type === "message.part.updated" &&
  event.properties.part.sessionID === sessionID &&
  event.properties.part.type === "tool" &&
  event.properties.part.tool === tool &&
  event.properties.part.state.status === "running"

const deltasOf = (events: Event[], sessionID: string) =>
  events.filter((event) => event.type === "message.part.delta" && event.properties.sessionID === sessionID)

/** Anthropic request bodies: every `tool_use` in an assistant turn has its `tool_result` in the next user turn. */
function expectToolUsesAnswered(body: any): { toolUses: any[]; toolResults: any[] } {
  const messages: any[] = body.messages
  const toolUses: any[] = []
  const toolResults: any[] = []
  messages.forEach((message, index) => {
    const content = Array.isArray(message.content) ? message.content : []
    toolResults.push(...content.filter((block: any) => block.type === "tool_result"))
    if (message.role !== "assistant") return
    const uses = content.filter((block: any) => block.type === "tool_use")
    toolUses.push(...uses)
    if (uses.length === 0) return
    const next = messages[index + 1]
    expect(next?.role, `message ${index + 1} must answer the tool_use blocks of message ${index}`).toBe("user")
    const answered = new Set((next.content as any[]).filter((block) => block.type === "tool_result").map((block) => block.tool_use_id))
    for (const use of uses) expect(answered.has(use.id), `tool_use ${use.id} (${use.name}) has no tool_result`).toBe(true)
  })
  return { toolUses, toolResults }
}

describe("kill -9 in the middle of a turn, then restart on the same data directory", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let first: SpoolProcess | undefined
  let second: SpoolProcess | undefined
  let sleeper: number | undefined

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
  })

  afterAll(async () => {
    // SIGKILL cannot let the server stop its tool's command: the test kills the group it started.
    killGroup(sleeper)
    await first?.kill()
    await second?.stop()
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("finished work survives exactly, unfinished work is closed, and the sessions go on", async () => {
    first = await startSpool({ env: serverEnv(llm, data) })
    const client = first.client(repo.path)
    const stream = await watch(client, repo.path)
    await stream.waitFor((event) => event.type === "server.connected")

    // Session A: step 1 reads a file (completes); step 2 says something and starts a long command.
    const pidFile = join(data.path, "sleep.pid")
    const toolSession = (await client.session.create({ title: "crash: tool" })).data!
    llm.script(
      { text: "Let me read it.", toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }], usage: { input: 500, output: 20 } },
      {
        text: "Now the slow part.",
        toolCalls: [{ name: "bash", input: { command: sleepCommand(pidFile, 30), description: "Wait a long time" } }],
        usage: { input: 60, output: 15 },
      },
    )
    const accepted = await client.session.promptAsync({
      sessionID: toolSession.id,
      model: MODEL,
      parts: [{ type: "text", text: "Read hello.txt, then run the slow command." }],
    })
    expect(accepted.error).toBeUndefined()
    await stream.waitFor(toolRunning(toolSession.id, "bash"))
    sleeper = await waitForPid(pidFile)

    // Session B: the model streams text, then the stream stalls (no stop, no usage).
    const textSession = (await client.session.create({ title: "crash: text" })).data!
    llm.script({ text: STREAMED, hang: true, delayMs: 100 })
    expect((await client.session.promptAsync({ sessionID: textSession.id, model: MODEL, parts: [{ type: "text", text: "Tell me a story." }] })).error).toBeUndefined()
    await stream.waitFor(() => deltasOf(stream.events, textSession.id).length === STREAMED.length)

    // Another Spool process opening the same database meanwhile (here `spool session list`) must not
    // take the running turns for crash leftovers: they are still running below.
    const listed = await promisify(execFile)(process.execPath, [MAIN, "session", "list", "--dir", repo.path], { env: { ...process.env, ...serverEnv(llm, data) } })
    expect(listed.stdout).toContain(toolSession.id)

    // What a client sees just before the crash.
    const sessionsBefore = [(await client.session.get({ sessionID: toolSession.id })).data, (await client.session.get({ sessionID: textSession.id })).data]
    const before = await messagesOf(client, toolSession.id)
    expect(before.map((message) => message.info.role)).toEqual(["user", "assistant", "assistant"])
    const runningBefore = before[2].parts.find((part) => part.type === "tool")
    expect(runningBefore?.type === "tool" && runningBefore.state.status).toBe("running")
    expect(before[2].info.role === "assistant" && before[2].info.time.completed).toBeUndefined()
    const streamingBefore = (await messagesOf(client, textSession.id))[1]?.parts.find((part) => part.type === "text")
    expect(streamingBefore?.type === "text" && streamingBefore.time?.end).toBeUndefined()

    await first.kill()
    await stream.stop()
    expect(isRunning(sleeper)).toBe(true) // SIGKILL leaves the command behind...

    second = await startSpool({ env: serverEnv(llm, data) })
    const after = second.client(repo.path)
    // ...and the restart kills it: the running part had recorded its process group (pid + start time).
    expect(runningBefore?.type === "tool" && runningBefore.state.status === "running" && runningBefore.state.metadata?.process).toMatchObject({ pid: sleeper, pgid: sleeper })
    expect(await waitForExit(sleeper)).toBe(true)

    // The sessions and every finished message and part are exactly what they were.
    expect([(await after.session.get({ sessionID: toolSession.id })).data, (await after.session.get({ sessionID: textSession.id })).data]).toEqual(sessionsBefore)
    const recovered = await messagesOf(after, toolSession.id)
    expect(recovered.map((message) => message.info.id)).toEqual(before.map((message) => message.info.id))
    expect(recovered[0]).toEqual(before[0]) // the user prompt
    expect(recovered[1]).toEqual(before[1]) // step 1: step-start, text, read (completed), step-finish
    expect(recovered[1].parts.map((part) => (part.type === "tool" ? `tool:${part.state.status}` : part.type))).toEqual([
      "step-start",
      "text",
      "tool:completed",
      "step-finish",
    ])

    // Step 2: its finished parts are unchanged; the running tool is closed as interrupted.
    const [stepStart, text, tool] = recovered[2].parts
    expect(recovered[2].parts).toHaveLength(3)
    expect(stepStart).toEqual(before[2].parts[0])
    expect(text).toEqual(before[2].parts[1])
    expect(text).toMatchObject({ type: "text", text: "Now the slow part.", time: { end: expect.any(Number) } })
    if (tool.type !== "tool" || runningBefore?.type !== "tool" || runningBefore.state.status !== "running") throw new Error("expected the bash tool part")
    expect(tool).toEqual({
      ...runningBefore,
      state: {
        status: "error",
        input: runningBefore.state.input,
        error: "Tool execution aborted",
        metadata: { ...runningBefore.state.metadata, interrupted: true, killed: true },
        time: { start: runningBefore.state.time.start, end: expect.any(Number) },
      },
    })
    if (tool.state.status !== "error") throw new Error("unreachable")
    expect(tool.state.time.end).toBeGreaterThanOrEqual(tool.state.time.start)

    // The unfinished assistant message is completed with an error; nothing else about it changed.
    const interrupted = recovered[2].info
    if (interrupted.role !== "assistant" || before[2].info.role !== "assistant") throw new Error("expected assistant messages")
    const { time, error, finish, ...rest } = interrupted
    const { time: timeBefore, error: errorBefore, finish: finishBefore, ...restBefore } = before[2].info
    expect(rest).toEqual(restBefore)
    expect(errorBefore).toBeUndefined()
    expect(error?.name).toBe("MessageAbortedError")
    expect(time.created).toBe(timeBefore.created)
    expect(time.completed).toBeGreaterThanOrEqual(time.created)
    expect(finish).toBeDefined()

    // Session B: the half-streamed text part is ended, keeping what had been saved of it.
    const story = await messagesOf(after, textSession.id)
    expect(story.map((message) => message.info.role)).toEqual(["user", "assistant"])
    const partial = story[1].parts.find((part): part is Extract<Part, { type: "text" }> => part.type === "text")!
    expect(partial.time?.end).toBeGreaterThanOrEqual(partial.time!.start)
    if (streamingBefore?.type !== "text") throw new Error("expected the streaming text part")
    expect(partial).toEqual({ ...streamingBefore, time: { start: streamingBefore.time!.start, end: expect.any(Number) } })
    expect(partial.text.length).toBeGreaterThan(0) // saved every 250 ms while streaming
    expect(STREAMED.join("").startsWith(partial.text)).toBe(true)
    expect(story[1].info.role === "assistant" && story[1].info.time.completed).toBeGreaterThan(0)
    expect(story[1].info.role === "assistant" && story[1].info.error?.name).toBe("MessageAbortedError")

    // Nothing is busy after a restart, and the repair was logged.
    const status = (await after.session.status()).data ?? {}
    expect([status[toolSession.id]?.type ?? "idle", status[textSession.id]?.type ?? "idle"]).toEqual(["idle", "idle"])
    await expect.poll(() => second!.stderr(), { timeout: 2_000 }).toContain(RECOVERY_LOG)

    // Session A accepts a new prompt; the provider gets a history where every tool_use is answered.
    llm.script({ text: "Recovered and ready.", usage: { input: 80, output: 5 } })
    const requestsBefore = llm.requests.length
    const next = await after.session.prompt({ sessionID: toolSession.id, parts: [{ type: "text", text: "Are you still there?" }] })
    expect(next.error).toBeUndefined()
    expect(next.data!.info.role === "assistant" && next.data!.info.error).toBeUndefined()
    expect(next.data!.info.role === "assistant" && next.data!.info.finish).toBe("stop")
    expect(next.data!.parts.find((part) => part.type === "text")).toMatchObject({ text: "Recovered and ready." })
    expect(llm.requests).toHaveLength(requestsBefore + 1)
    const request = llm.requests.at(-1)!
    expect(request.path).toBe("/v1/messages")
    const { toolUses, toolResults } = expectToolUsesAnswered(request.body)
    expect(toolUses.map((use) => use.name)).toEqual(["read", "bash"])
    const aborted = toolResults.find((result) => result.tool_use_id === tool.callID)
    expect(aborted).toMatchObject({ is_error: true })
    expect(JSON.stringify(aborted.content)).toContain("Tool execution aborted")
    expect(JSON.stringify(request.body.messages.at(-1))).toContain("Are you still there?")

    // Session B goes on too; its request carries the partial answer and no dangling tool_use.
    llm.script({ text: "And they lived happily." })
    const more = await after.session.prompt({ sessionID: textSession.id, parts: [{ type: "text", text: "Go on." }] })
    expect(more.data!.info.role === "assistant" && more.data!.info.finish).toBe("stop")
    expectToolUsesAnswered(llm.requests.at(-1)!.body)

    // The new turn did not touch the recovered history.
    expect((await messagesOf(after, toolSession.id)).slice(0, 3)).toEqual(recovered)
  })
})

describe("SIGTERM in the middle of a turn", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let spool: SpoolProcess | undefined
  let restarted: SpoolProcess | undefined
  let sleeper: number | undefined

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
  })

  afterAll(async () => {
    killGroup(sleeper)
    await spool?.kill()
    await restarted?.stop()
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("exits promptly with code 0, stops the running command, and stores the aborted turn itself", async () => {
    spool = await startSpool({ env: serverEnv(llm, data) })
    const client = spool.client(repo.path)
    const stream = await watch(client, repo.path)
    await stream.waitFor((event) => event.type === "server.connected")

    const pidFile = join(data.path, "sleep.pid")
    const toolSession = (await client.session.create({ title: "sigterm: tool" })).data!
    llm.script({ toolCalls: [{ name: "bash", input: { command: sleepCommand(pidFile, 30), description: "Wait a long time" } }] })
    await client.session.promptAsync({ sessionID: toolSession.id, model: MODEL, parts: [{ type: "text", text: "Run the slow command." }] })
    await stream.waitFor(toolRunning(toolSession.id, "bash"))
    sleeper = await waitForPid(pidFile)

    const textSession = (await client.session.create({ title: "sigterm: text" })).data!
    llm.script({ text: STREAMED, hang: true })
    await client.session.promptAsync({ sessionID: textSession.id, model: MODEL, parts: [{ type: "text", text: "Tell me a story." }] })
    await stream.waitFor(() => deltasOf(stream.events, textSession.id).length === STREAMED.length)

    // An SSE client stays connected during the shutdown.
    const started = Date.now()
    spool.child.kill("SIGTERM")
    const exit = await Promise.race([
      new Promise<number | null>((resolve) => spool!.child.once("exit", (code) => resolve(code))),
      new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000)),
    ])
    expect(exit).toBe(0)
    expect(Date.now() - started).toBeLessThan(3_000)
    await stream.ended // the server ended the event stream itself
    expect(await waitForExit(sleeper)).toBe(true) // the command's process group was killed

    restarted = await startSpool({ env: serverEnv(llm, data) })
    const after = restarted.client(repo.path)
    const [, answer] = await messagesOf(after, toolSession.id)
    const tool = answer.parts.find((part) => part.type === "tool")
    expect(tool?.type === "tool" && tool.state).toMatchObject({ status: "error", error: "Tool execution aborted", metadata: { interrupted: true } })
    expect(answer.info.role === "assistant" && answer.info.error?.name).toBe("MessageAbortedError")
    expect(answer.info.role === "assistant" && answer.info.time.completed).toBeGreaterThan(0)
    const [, story] = await messagesOf(after, textSession.id)
    const text = story.parts.find((part) => part.type === "text")
    expect(text?.type === "text" && text).toMatchObject({ text: STREAMED.join(""), time: { end: expect.any(Number) } })
    expect(story.info.role === "assistant" && story.info.error?.name).toBe("MessageAbortedError")
    // The shutdown wrote the final states itself: crash recovery found nothing to repair.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(restarted.stderr()).not.toContain(RECOVERY_LOG)
  })
})
