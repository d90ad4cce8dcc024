import { sql } from "kysely"
import { describe, expect, test } from "vitest"
import { createBus } from "../bus/index.ts"
import { createId } from "../id/index.ts"
import { resolveModel } from "../provider/index.ts"
import { openSqlite } from "../storage/index.ts"
import { createLogger } from "../util/log.ts"
import { repository } from "./repository.ts"
import type { SessionInfo, UserMessage } from "./schema.ts"
import { createStatusMap } from "./status.ts"
import { createTurnRecorder } from "./turn-recorder.ts"
import { createWriter } from "./writer.ts"

describe("turn recorder when a write fails (disk full)", () => {
  test("it stops recording without throwing, ends the step with StorageFullError and stores what it can once there is room", async () => {
    const db = await openSqlite(":memory:")
    const bus = createBus()
    const writer = createWriter(db, bus)
    const now = Date.now()
    const session: SessionInfo = {
      id: createId("session"), slug: "a-b", projectID: "global", directory: "/repo", title: "t", version: "0", cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }, time: { created: now, updated: now },
    }
    await writer.createSession(session)
    const user: UserMessage = { id: createId("message"), sessionID: session.id, role: "user", time: { created: now }, agent: "build", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } }
    await writer.message(user, session.directory)
    const model = resolveModel(user.model, {}, { ANTHROPIC_API_KEY: "test" })
    const recorder = createTurnRecorder(
      { writer, status: createStatusMap(bus), config: () => ({}), log: createLogger("silent"), env: {} },
      { session, user, worktree: "/repo", abort: new AbortController().signal, model, decision: () => undefined },
    )

    await recorder.handle({ type: "step-start", step: 1 })
    await recorder.handle({ type: "text-start", id: "t1" })
    await recorder.handle({ type: "text-delta", id: "t1", text: "Let me look." })
    await recorder.handle({ type: "tool-input-start", callID: "call_1", tool: "read" })
    await recorder.handle({ type: "tool-call", callID: "call_1", tool: "read", input: { filePath: "big.txt" } })
    await recorder.handle({ type: "tool-input-start", callID: "call_2", tool: "bash" })
    await recorder.handle({ type: "tool-call", callID: "call_2", tool: "bash", input: { command: "sleep 60" } })

    // The database may not grow any more: the tool's long result cannot be stored.
    const [{ page_count: pages }] = (await sql<{ page_count: number }>`PRAGMA page_count`.execute(db)).rows
    await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(db)
    const output = "line\n".repeat(60_000)
    await expect(recorder.handle({ type: "tool-result", callID: "call_1", tool: "read", input: { filePath: "big.txt" }, result: { output, title: "big.txt", metadata: {} } })).resolves.toBeUndefined()
    expect(recorder.failure()).toMatchObject({ name: "StorageFullError", data: { message: expect.stringContaining("SQLITE_FULL") } })
    // Nothing more is recorded or published for the failed turn.
    const published: string[] = []
    bus.subscribe((event) => published.push(event.type))
    await recorder.handle({ type: "text-delta", id: "t1", text: " more" })
    await recorder.handle({ type: "text-end", id: "t1", text: "Let me look. more" })
    expect(published).toEqual([])

    // Room again by the time the aborted step ends: its message and parts are stored as they stand.
    await sql.raw("PRAGMA max_page_count = 1073741823").execute(db)
    await recorder.handle({ type: "step-error", step: 1, error: { error: { name: "MessageAbortedError", data: { message: "Aborted" } }, retryable: false } })
    const stored = await repository.listMessages(db, session.id)
    const assistant = stored.items.find((message) => message.info.role === "assistant")!
    expect(assistant.info).toMatchObject({ error: recorder.failure(), finish: "error", time: { completed: expect.any(Number) } })
    expect(assistant.parts.map((part) => part.type)).toEqual(["step-start", "text", "tool", "tool"])
    expect(assistant.parts[1]).toMatchObject({ type: "text", text: "Let me look.", time: { end: expect.any(Number) } })
    expect(assistant.parts[2]).toMatchObject({ type: "tool", state: { status: "completed", output } })
    // The command the abort stopped is closed as crash recovery would close it.
    expect(assistant.parts[3]).toMatchObject({ type: "tool", callID: "call_2", state: { status: "error", error: "Tool execution aborted", metadata: { interrupted: true } } })
    expect(recorder.last()!.info).toEqual(assistant.info)
    await db.destroy()
  })
})
