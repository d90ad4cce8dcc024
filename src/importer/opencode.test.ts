import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import BetterSqlite3 from "better-sqlite3"
import { afterAll, describe, expect, test } from "vitest"
import { createBus } from "../bus/index.ts"
import { createId } from "../id/index.ts"
import { repository } from "../session/repository.ts"
import { createWriter } from "../session/writer.ts"
import { Message, Part, SessionInfo, type Message as MessageType, type Part as PartType, type SessionInfo as SessionInfoType } from "../session/schema.ts"
import { openSqlite } from "../storage/index.ts"
import { exportSession, formatExport } from "./export.ts"
import { parseOpenCode } from "./opencode.ts"
import type { ImportedSession, ImportItem, ImportProblem } from "./types.ts"

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/transcripts/opencode", import.meta.url))
const EXPORT = join(FIXTURES, "ekisu-t8v6Igr8.export.json")
const AGENT_SESSIONS = join(FIXTURES, "synthetic-agentsessions-storage-v2")
const CASS = join(FIXTURES, "synthetic-cass-storage-legacy")

const temp = mkdtempSync(join(tmpdir(), "spool-opencode-"))
afterAll(() => rmSync(temp, { recursive: true, force: true }))
let tempCount = 0
function tempDir(): string {
  const dir = join(temp, String(tempCount++))
  mkdirSync(dir, { recursive: true })
  return dir
}

async function parse(path: string): Promise<{ sessions: ImportedSession[]; problems: ImportProblem[]; items: ImportItem[] }> {
  const items: ImportItem[] = []
  for await (const item of parseOpenCode(path)) items.push(item)
  return {
    items,
    sessions: items.flatMap((item) => (item.type === "session" ? [item.session] : [])),
    problems: items.flatMap((item) => (item.type === "problem" ? [item.problem] : [])),
  }
}

/** Every record passes Spool's schemas and points at its session and message. */
function expectValid(session: ImportedSession) {
  expect(SessionInfo.safeParse(session.info).error).toBeUndefined()
  for (const { info, parts } of session.messages) {
    expect(Message.safeParse(info).error).toBeUndefined()
    expect(info.sessionID).toBe(session.info.id)
    for (const part of parts) {
      expect(Part.safeParse(part).error).toBeUndefined()
      expect(part.sessionID).toBe(session.info.id)
      expect(part.messageID).toBe(info.id)
    }
  }
}

function ids(session: ImportedSession): string[] {
  return [session.info.id, ...session.messages.flatMap((message) => [message.info.id, ...message.parts.map((part) => part.id)])]
}

describe("opencode export file", () => {
  test("ekisu t8v6Igr8: 3 messages, parts, tokens and costs as stored, Spool IDs", async () => {
    const { sessions, problems, items } = await parse(EXPORT)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    expect(items.at(-1)).toEqual({ type: "progress", path: EXPORT, bytes: 8590, total: 8590 })
    const [session] = sessions
    expectValid(session)
    const { info, messages } = session

    expect(info.id).toMatch(/^ses_18684d584ffe[0-9A-Za-z]{14}$/)
    expect(info.id).not.toBe("ses_18684d584ffe1JuGPUt8v6Igr8")
    expect(info.metadata?.import).toEqual({ source: "opencode", sourceID: "ses_18684d584ffe1JuGPUt8v6Igr8", originalID: "ses_18684d584ffe1JuGPUt8v6Igr8", path: EXPORT })
    expect(info).toMatchObject({
      slug: "cosmic-forest",
      projectID: "abe31d5b53e39bd50945e406d1e035e238c2f481",
      directory: "/home/eki/Projects/opencode-local-share",
      title: "Creating TEST_EDITS.md with poem",
      version: "1.15.7",
      agent: "build",
      share: { url: "https://opncd.ai/share/t8v6Igr8" },
      summary: { additions: 11, deletions: 0, files: 1 },
      cost: 0.022821143999999998,
      tokens: { input: 12628, output: 159, reasoning: 32, cache: { read: 12672, write: 0 } },
      time: { created: 1780154575483, updated: 1780154599686 },
    })
    expect(info.parentID).toBeUndefined()

    expect(messages.map((message) => message.info.role)).toEqual(["user", "assistant", "assistant"])
    expect(messages.map((message) => message.parts.map((part) => part.type))).toEqual([
      ["text"],
      ["step-start", "reasoning", "tool", "step-finish", "patch"],
      ["step-start", "reasoning", "text", "step-finish"],
    ])
    const [user, first, second] = messages
    expect(user.info.id).toMatch(/^msg_e797b2a8d001[0-9A-Za-z]{14}$/)
    expect(user.info.role === "user" && user.info.summary?.diffs[0]).toMatchObject({ file: "TEST_EDITS.md", additions: 11, deletions: 0, status: "added" })
    expect(user.parts[0]).toMatchObject({ type: "text", text: "Write a sample file `TEST_EDITS.md` containing a poem" })
    for (const reply of [first, second]) {
      expect(reply.info.role === "assistant" && reply.info.parentID).toBe(user.info.id)
      expect(reply.info).toMatchObject({ modelID: "deepseek-v4-pro", providerID: "opencode-go", mode: "build", agent: "build" })
    }
    expect(first.info).toMatchObject({ cost: 0.02240772, finish: "tool-calls", tokens: { total: 12714, input: 12550, output: 144, reasoning: 20, cache: { read: 0, write: 0 } } })
    expect(second.info).toMatchObject({ cost: 0.000413424, finish: "stop", tokens: { total: 12777, input: 78, output: 15, reasoning: 12, cache: { read: 12672, write: 0 } } })
    expect(first.parts[3]).toMatchObject({ type: "step-finish", reason: "tool-calls", cost: 0.02240772, tokens: { total: 12714, input: 12550, output: 144, reasoning: 20, cache: { read: 0, write: 0 } } })
    expect(second.parts[3]).toMatchObject({ type: "step-finish", reason: "stop", cost: 0.000413424, tokens: { total: 12777, input: 78, output: 15, reasoning: 12, cache: { read: 12672, write: 0 } } })
    expect(first.parts[2]).toMatchObject({
      type: "tool",
      tool: "write",
      callID: "call_00_Top0HQwEwpc2zzQG3Klm0017",
      state: { status: "completed", output: "Wrote file successfully.", title: "TEST_EDITS.md", metadata: { exists: false, truncated: false }, time: { start: 1780154587879, end: 1780154587894 } },
    })
    expect(first.parts[4]).toMatchObject({ type: "patch", hash: "9b057a6eac7b8ba44713000d0d9448ab5dac67e4", files: ["/home/eki/Projects/opencode-local-share/TEST_EDITS.md"] })
    // The new IDs sort like the originals (clients order by ID).
    for (const message of messages) {
      const partIDs = message.parts.map((part) => part.id)
      expect([...partIDs].sort()).toEqual(partIDs)
    }
    const messageIDs = messages.map((message) => message.info.id)
    expect([...messageIDs].sort()).toEqual(messageIDs)
    expect(new Set(ids(session)).size).toBe(ids(session).length)
    expect(session.todos).toBeUndefined()
  })

  test("parsing twice gives identical IDs and sessions", async () => {
    const [a, b] = await Promise.all([parse(EXPORT), parse(EXPORT)])
    expect(ids(a.sessions[0])).toEqual(ids(b.sessions[0]))
    expect(a.sessions).toEqual(b.sessions)
    const [c, d] = await Promise.all([parse(AGENT_SESSIONS), parse(AGENT_SESSIONS)])
    expect(c.sessions.flatMap(ids)).toEqual(d.sessions.flatMap(ids))
  })

  test("tolerates the stderr banner before the JSON; bad files are problems", async () => {
    const dir = tempDir()
    const banner = join(dir, "banner.json")
    writeFileSync(banner, `Exporting session: ses_18684d584ffe1JuGPUt8v6Igr8${readFileSync(EXPORT, "utf8")}`)
    expect((await parse(banner)).sessions).toHaveLength(1)
    const broken = join(dir, "broken.json")
    writeFileSync(broken, "{ nope")
    expect(await parse(broken)).toMatchObject({ sessions: [], problems: [{ path: broken }] })
    const other = join(dir, "other.json")
    writeFileSync(other, JSON.stringify([{ info: {}, parts: [] }]))
    expect((await parse(other)).problems[0].message).toMatch(/not an OpenCode export/)
    expect((await parse(join(dir, "missing.json"))).problems[0].message).toMatch(/cannot read/)
  })

  test("invalid records are problems, the rest is imported", async () => {
    const data = JSON.parse(readFileSync(EXPORT, "utf8"))
    data.messages[1].parts.push({ id: "prt_e797b5b39002AAAAAAAAAAAAAA", type: "hologram" })
    data.messages[1].parts.push({ id: "prt_e797b5b39003AAAAAAAAAAAAAA", type: "text" })
    data.messages.push({ info: { id: "msg_e797b5b42009AAAAAAAAAAAAAA", role: "system" }, parts: [{ id: "p", type: "text", text: "x" }] })
    data.todos = [{ content: "write poem", status: "completed", priority: "high" }, { status: "pending" }]
    const file = join(tempDir(), "edited.json")
    writeFileSync(file, JSON.stringify(data))
    const { sessions, problems } = await parse(file)
    expect(problems.map((problem) => problem.message)).toEqual([
      expect.stringMatching(/message msg_e797b5b42009AAAAAAAAAAAAAA has unknown role "system"; skipped \(with its 1 parts\)/),
      expect.stringMatching(/part prt_e797b5b39002AAAAAAAAAAAAAA .* unknown type "hologram"; skipped/),
      expect.stringMatching(/part prt_e797b5b39003AAAAAAAAAAAAAA .* is invalid \(text: .*\); skipped/),
      expect.stringMatching(/invalid todo/),
    ])
    expect(sessions[0].messages.map((message) => message.parts.length)).toEqual([1, 5, 4])
    expect(sessions[0].todos).toEqual([{ content: "write poem", status: "completed", priority: "high" }])
  })
})

describe("legacy storage tree", () => {
  test("agent-sessions storage_v2: 2 sessions, 6 messages, 14 parts, repaired to the schema", async () => {
    const { sessions, problems } = await parse(AGENT_SESSIONS)
    expect(problems).toEqual([])
    expect(sessions.map((session) => session.info.metadata?.import.originalID)).toEqual(["s_stage0_small", "s_stage0_large"])
    expect(sessions.map((session) => session.messages.length)).toEqual([2, 4])
    expect(sessions.map((session) => session.messages.map((message) => message.parts.length))).toEqual([
      [1, 2],
      [1, 8, 1, 1],
    ])
    for (const session of sessions) expectValid(session)
    const [small, large] = sessions
    expect(small.info).toMatchObject({ title: "OpenCode Small", directory: "/tmp/repo", projectID: "proj_test", version: "1.3.17", time: { created: 1730000000000, updated: 1730000005000 } })
    expect(small.messages[1].parts.map((part) => part.type)).toEqual(["tool", "text"])

    const [, assistant] = large.messages
    expect(assistant.info).toMatchObject({
      role: "assistant",
      parentID: large.messages[0].info.id,
      modelID: "gpt-4o-mini",
      providerID: "openai",
      path: { cwd: "/tmp/large", root: "/tmp/large" },
      cost: 0,
      tokens: { input: 120, output: 16, reasoning: 0, cache: { read: 0, write: 0 } },
      error: { name: "MessageAbortedError" },
    })
    expect(assistant.parts.map((part) => part.type)).toEqual(["tool", "text", "file", "reasoning", "step-start", "step-finish", "compaction", "patch"])
    expect(assistant.parts[6]).toMatchObject({ type: "compaction", auto: true, tail_start_id: large.messages[0].info.id })
    expect(assistant.parts[0]).toMatchObject({ type: "tool", state: { status: "completed", title: "", metadata: { exit: 1 } } })
    // The last assistant message had no parentID: it answers the user message before it.
    expect(large.messages[3].info.role === "assistant" && large.messages[3].info.parentID).toBe(large.messages[2].info.id)
    const partIDs = assistant.parts.map((part) => part.id)
    expect([...partIDs].sort()).toEqual(partIDs)
  })

  test("cass legacy: 1 session, 2 messages, 2 parts (same part name in two messages)", async () => {
    const { sessions, problems } = await parse(CASS)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    expect(session.info).toMatchObject({ title: "OpenCode JSON Session", directory: "/tmp/test-project", time: { created: 1700000000000, updated: 1700000005000 } })
    expect(session.messages.map((message) => [message.info.role, message.parts.length])).toEqual([
      ["user", 1],
      ["assistant", 1],
    ])
    expect(session.messages[1].info).toMatchObject({ modelID: "claude-3-opus", parentID: session.messages[0].info.id })
    expect(session.messages[0].parts[0].id).not.toBe(session.messages[1].parts[0].id)
  })

  test("a corrupt part file is a problem; the parent directory of storage/ is accepted", async () => {
    const root = tempDir()
    cpSync(CASS, join(root, "storage"), { recursive: true })
    const corrupt = join(root, "storage", "part", "msg_test1", "part2.json")
    writeFileSync(corrupt, '{"id": "part2", "type": "te')
    const todo = join(root, "storage", "todo")
    mkdirSync(todo)
    writeFileSync(join(todo, "ses_test1.json"), JSON.stringify([{ id: "1", content: "learn Rust", status: "in_progress", priority: "high" }]))
    const { sessions, problems } = await parse(root)
    expect(problems).toEqual([{ path: corrupt, message: expect.stringMatching(/^invalid JSON/) }])
    expect(sessions).toHaveLength(1)
    expect(sessions[0].messages.map((message) => message.parts.length)).toEqual([1, 1])
    expect(sessions[0].todos).toEqual([{ content: "learn Rust", status: "in_progress", priority: "high" }])
  })

  test("a path with no OpenCode data is a problem", async () => {
    const { sessions, problems } = await parse(tempDir())
    expect(sessions).toEqual([])
    expect(problems[0].message).toMatch(/no OpenCode data/)
  })
})

// IDs in OpenCode's format, created 2026-05-30 (parent) and a second later (child).
const PARENT = "ses_18684d584ffe1JuGPUt8v6Igr8"
const CHILD = "ses_18684d1ac3ffeAAAAAAAAAAAAA"
const U1 = "msg_e797b2a8d001CK13E94IXHHjkw"
const A1 = "msg_e797b2ab1001iJZcLT0YNzLMBT"
const CU = "msg_e797b2e53001BBBBBBBBBBBBBB"
const CA = "msg_e797b2e54001BBBBBBBBBBBBBB"
const T0 = 1780154575483

/** A database with OpenCode's tables (spec 3.3) holding a parent session with a task child. */
function buildOpenCodeDb(file: string) {
  const db = new BetterSqlite3(file)
  db.pragma("journal_mode = WAL")
  db.exec(`
    CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, vcs TEXT, name TEXT, time_created INTEGER, time_updated INTEGER, sandboxes TEXT NOT NULL DEFAULT '[]');
    CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, workspace_id TEXT, parent_id TEXT, slug TEXT NOT NULL, directory TEXT NOT NULL,
      path TEXT, title TEXT NOT NULL, version TEXT NOT NULL, share_url TEXT, summary_additions INTEGER, summary_deletions INTEGER, summary_files INTEGER,
      summary_diffs TEXT, metadata TEXT, cost REAL DEFAULT 0, tokens_input INTEGER DEFAULT 0, tokens_output INTEGER DEFAULT 0, tokens_reasoning INTEGER DEFAULT 0,
      tokens_cache_read INTEGER DEFAULT 0, tokens_cache_write INTEGER DEFAULT 0, revert TEXT, permission TEXT, agent TEXT, model TEXT,
      time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, time_compacting INTEGER, time_archived INTEGER);
    CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL REFERENCES message(id) ON DELETE CASCADE, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE todo (session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE, content TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL, position INTEGER NOT NULL,
      time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, PRIMARY KEY (session_id, position));
  `)
  const session = db.prepare(`INSERT INTO session (id, project_id, parent_id, slug, directory, path, title, version, share_url, summary_additions, summary_deletions, summary_files,
    cost, tokens_input, tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, revert, permission, agent, model, time_created, time_updated)
    VALUES (@id, 'proj', @parent, @slug, '/home/me/proj', '', @title, '1.18.33', @share, @adds, @dels, @files, @cost, 100, 20, 5, 900, 10, @revert, @permission, 'build', @model, @created, @updated)`)
  session.run({
    id: PARENT, parent: null, slug: "brave-otter", title: "Parent", share: "https://opncd.ai/share/t8v6Igr8", adds: 3, dels: 0, files: 1, cost: 0.5,
    revert: JSON.stringify({ messageID: A1, partID: "prt_e797b2ab1003AAAAAAAAAAAAAA", snapshot: "abc" }),
    permission: JSON.stringify([{ permission: "bash", pattern: "*", action: "ask" }]), model: JSON.stringify({ id: "claude-sonnet-4-5", providerID: "anthropic" }),
    created: T0, updated: T0 + 5000,
  })
  session.run({ id: CHILD, parent: PARENT, slug: "calm-moon", title: "Look around (@general subagent)", share: null, adds: null, dels: null, files: null, cost: 0.1, revert: null, permission: null, model: null, created: T0 + 1000, updated: T0 + 3000 })
  const message = db.prepare("INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?)")
  const part = db.prepare("INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?, ?)")
  const assistant = (parentID: string, created: number) => ({
    role: "assistant", time: { created, completed: created + 500 }, parentID, modelID: "claude-sonnet-4-5", providerID: "anthropic", mode: "build", agent: "build",
    path: { cwd: "/home/me/proj", root: "/home/me/proj" }, cost: 0.25, tokens: { input: 50, output: 10, reasoning: 0, cache: { read: 450, write: 5 } }, finish: "tool-calls",
  })
  message.run(U1, PARENT, T0 + 10, T0 + 10, JSON.stringify({ role: "user", time: { created: T0 + 10 }, agent: "build", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } }))
  message.run(A1, PARENT, T0 + 20, T0 + 20, JSON.stringify(assistant(U1, T0 + 20)))
  message.run("msg_e797b2ab2001CCCCCCCCCCCCCC", PARENT, T0 + 30, T0 + 30, "{not json")
  part.run("prt_e797b2a8d002B02xAvxkCt4WTl", U1, PARENT, T0, T0, JSON.stringify({ type: "text", text: "Look around" }))
  part.run("prt_e797b2ab1002AAAAAAAAAAAAAA", A1, PARENT, T0, T0, JSON.stringify({ type: "step-start", snapshot: "abc" }))
  part.run("prt_e797b2ab1003AAAAAAAAAAAAAA", A1, PARENT, T0, T0, JSON.stringify({
    type: "tool", callID: "toolu_1", tool: "task",
    state: {
      status: "completed", input: { description: "Look around", prompt: "ls", subagent_type: "general" },
      output: `task_id: ${CHILD} (for resuming to continue this task if needed)\n\n<task_result>done</task_result>`,
      title: "Look around", metadata: { sessionId: CHILD, model: { modelID: "claude-sonnet-4-5", providerID: "anthropic" } }, time: { start: T0 + 25, end: T0 + 3000 },
    },
  }))
  part.run("prt_e797b2ab1004AAAAAAAAAAAAAA", A1, PARENT, T0, T0, JSON.stringify({ type: "step-finish", reason: "tool-calls", cost: 0.25, tokens: { input: 50, output: 10, reasoning: 0, cache: { read: 450, write: 5 } } }))
  part.run("prt_e797b2ab1005AAAAAAAAAAAAAA", A1, PARENT, T0, T0, "{broken")
  message.run(CU, CHILD, T0 + 1010, T0 + 1010, JSON.stringify({ role: "user", time: { created: T0 + 1010 }, agent: "general", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } }))
  message.run(CA, CHILD, T0 + 1020, T0 + 1020, JSON.stringify(assistant(CU, T0 + 1020)))
  part.run("prt_e797b2e53002BBBBBBBBBBBBBB", CU, CHILD, T0, T0, JSON.stringify({ type: "text", text: "ls", synthetic: false }))
  part.run("prt_e797b2e54002BBBBBBBBBBBBBB", CA, CHILD, T0, T0, JSON.stringify({ type: "text", text: "done", time: { start: T0 + 1030, end: T0 + 1040 } }))
  part.run("prt_e797b2e54003BBBBBBBBBBBBBB", CA, CHILD, T0, T0, JSON.stringify({ type: "compaction", auto: true, tail_start_id: CU }))
  const todo = db.prepare("INSERT INTO todo (session_id, content, status, priority, position, time_created, time_updated) VALUES (?, ?, ?, ?, ?, ?, ?)")
  todo.run(PARENT, "second", "pending", "low", 1, T0, T0)
  todo.run(PARENT, "first", "completed", "high", 0, T0, T0)
  db.close()
}

describe("opencode.db", () => {
  test("sessions, messages, parts, todos and references; read-only; bad rows are problems", async () => {
    const dir = tempDir()
    const file = join(dir, "opencode.db")
    buildOpenCodeDb(file)
    const before = statSync(file)
    const { sessions, problems } = await parse(file)
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs)
    expect(problems).toEqual([
      { path: file, message: expect.stringMatching(new RegExp(`session ${PARENT}: part prt_e797b2ab1005AAAAAAAAAAAAAA: invalid JSON`)) },
      { path: file, message: expect.stringMatching(/message msg_e797b2ab2001CCCCCCCCCCCCCC: invalid JSON.*skipped with its 0 parts/) },
    ])
    expect(sessions.map((session) => session.info.metadata?.import.originalID)).toEqual([PARENT, CHILD])
    for (const session of sessions) expectValid(session)
    const [parent, child] = sessions
    expect(child.info.parentID).toBe(parent.info.id)
    expect(parent.info).toMatchObject({
      slug: "brave-otter", projectID: "proj", directory: "/home/me/proj", path: "", title: "Parent", version: "1.18.33",
      share: { url: "https://opncd.ai/share/t8v6Igr8" }, summary: { additions: 3, deletions: 0, files: 1 }, cost: 0.5,
      tokens: { input: 100, output: 20, reasoning: 5, cache: { read: 900, write: 10 } }, agent: "build", model: { id: "claude-sonnet-4-5", providerID: "anthropic" },
      permission: [{ permission: "bash", pattern: "*", action: "ask" }], time: { created: T0, updated: T0 + 5000 },
    })
    expect(child.info.summary).toBeUndefined()
    expect(parent.messages.map((message) => message.parts.map((part) => part.type))).toEqual([["text"], ["step-start", "tool", "step-finish"]])
    const tool = parent.messages[1].parts[1] as Extract<PartType, { type: "tool" }>
    expect(parent.info.revert).toEqual({ messageID: parent.messages[1].info.id, partID: tool.id, snapshot: "abc" })
    expect(tool.state.status === "completed" && tool.state.metadata.sessionId).toBe(child.info.id)
    expect(tool.state.status === "completed" && tool.state.output).toBe(`task_id: ${child.info.id} (for resuming to continue this task if needed)\n\n<task_result>done</task_result>`)
    expect(parent.messages[1].parts[2]).toMatchObject({ type: "step-finish", cost: 0.25, tokens: { input: 50, output: 10, cache: { read: 450, write: 5 } } })
    expect(parent.todos).toEqual([
      { content: "first", status: "completed", priority: "high" },
      { content: "second", status: "pending", priority: "low" },
    ])
    expect(child.messages[1].parts[1]).toMatchObject({ type: "compaction", tail_start_id: child.messages[0].info.id })
    expect(child.todos).toBeUndefined()

    // The same data dir again, as OpenCode's data directory, with a legacy tree beside the database:
    // sessions the database has are not imported twice.
    const storage = join(dir, "storage")
    cpSync(CASS, storage, { recursive: true })
    mkdirSync(join(storage, "session", "proj"))
    writeFileSync(join(storage, "session", "proj", `${PARENT}.json`), JSON.stringify({ id: PARENT, title: "stale", directory: "/", time: { created: T0, updated: T0 } }))
    const again = await parse(dir)
    expect(again.sessions.map((session) => session.info.metadata?.import.originalID)).toEqual([PARENT, CHILD, "ses_test1"])
    expect(ids(again.sessions[0])).toEqual(ids(parent))
    expect(again.sessions[0]).toEqual(parent)
    // `<data>/storage` on its own (how input discovery passes it): still skips what the database has.
    const legacyOnly = await parse(storage)
    expect(legacyOnly.sessions.map((session) => session.info.metadata?.import.originalID)).toEqual(["ses_test1"])
  })
})

describe("spool export", () => {
  test("round trip: export → file → import restores the session exactly, IDs kept", async () => {
    const db = await openSqlite(":memory:")
    const writer = createWriter(db, createBus(), () => 1_780_000_000_000)
    const t = 1_780_000_000_000
    const parentID = createId("session")
    const sessionID = createId("session")
    const userID = createId("message")
    const assistantID = createId("message")
    const directory = "/home/me/proj"
    const base = { slug: "swift-otter", projectID: "p1", directory, version: "0.1.0" }
    await writer.createSession({ ...base, id: parentID, title: "parent", time: { created: t - 10, updated: t - 5 } })
    const part = (fields: Record<string, unknown>, messageID = assistantID) => ({ id: createId("part"), sessionID, messageID, ...fields }) as PartType
    const userParts = [
      part({ type: "text", text: "Fix the bug", time: { start: t, end: t }, metadata: { source: "tui" } }, userID),
      part({ type: "file", mime: "text/plain", filename: "a.ts", url: "file:///home/me/proj/a.ts", source: { type: "file", path: "a.ts", text: { value: "@a.ts", start: 0, end: 5 } } }, userID),
      part({ type: "agent", name: "general", source: { value: "@general", start: 0, end: 8 } }, userID),
      part({ type: "subtask", prompt: "look", description: "Look", agent: "general", model: { providerID: "anthropic", modelID: "claude" } }, userID),
      part({ type: "compaction", auto: false, overflow: true, tail_start_id: userID }, userID),
    ]
    const assistantParts = [
      part({ type: "step-start", snapshot: "tree1" }),
      part({ type: "reasoning", text: "thinking", metadata: { anthropic: { signature: "sig" } }, time: { start: t + 1, end: t + 2 } }),
      part({ type: "tool", callID: "c1", tool: "read", state: { status: "completed", input: { filePath: "a.ts" }, output: "x", title: "a.ts", metadata: { lines: 1 }, time: { start: t + 3, end: t + 4, compacted: t + 9 }, attachments: [{ id: createId("part"), sessionID, messageID: assistantID, type: "file", mime: "image/png", url: "data:image/png;base64,AA" }] } }),
      part({ type: "tool", callID: "c2", tool: "bash", state: { status: "error", input: { command: "false" }, error: "exit 1", metadata: { interrupted: true }, time: { start: t + 5, end: t + 6 } } }),
      part({ type: "tool", callID: "c3", tool: "task", state: { status: "running", input: {}, title: "Look", metadata: { sessionId: parentID }, time: { start: t + 7 } } }),
      part({ type: "retry", attempt: 1, error: { name: "APIError", data: { message: "overloaded", isRetryable: true } }, time: { created: t + 8 } }),
      part({ type: "step-finish", reason: "tool-calls", snapshot: "tree2", cost: 0.01, tokens: { total: 1200, input: 100, output: 50, reasoning: 10, cache: { read: 1000, write: 40 } }, metadata: { openai: { id: "r1" } } }),
      part({ type: "snapshot", snapshot: "tree2" }),
      part({ type: "patch", hash: "tree1", files: ["/home/me/proj/a.ts"] }),
      part({ type: "text", text: "Done.", synthetic: true, ignored: false }),
    ]
    const user: MessageType = {
      id: userID, sessionID, role: "user", time: { created: t }, agent: "build", model: { providerID: "anthropic", modelID: "claude", variant: "high" },
      summary: { title: "Fix", body: "b", diffs: [{ file: "a.ts", patch: "@@", additions: 1, deletions: 0, status: "modified" }] }, system: "be brief", tools: { bash: false },
      format: { type: "text" },
    }
    const assistant: MessageType = {
      id: assistantID, sessionID, role: "assistant", time: { created: t + 1, completed: t + 10 }, parentID: userID, modelID: "claude", providerID: "anthropic",
      mode: "build", agent: "build", variant: "high", path: { cwd: directory, root: directory }, summary: false, cost: 0.01,
      tokens: { total: 1200, input: 100, output: 50, reasoning: 10, cache: { read: 1000, write: 40 } }, finish: "tool-calls",
      error: { name: "APIError", data: { message: "boom", statusCode: 500, isRetryable: true } }, structured: { ok: true },
    }
    const info: SessionInfoType = {
      ...base, id: sessionID, parentID, workspaceID: "wrk_1", path: "", title: "Fix the bug", agent: "build",
      summary: { additions: 1, deletions: 0, files: 1, diffs: [{ file: "a.ts", patch: "@@", additions: 1, deletions: 0 }] },
      cost: 0.01, tokens: { input: 100, output: 50, reasoning: 10, cache: { read: 1000, write: 40 } }, stats: { steps: 1, cacheEfficiency: 0.88 },
      share: { url: "https://example.com/s/1" }, model: { id: "claude", providerID: "anthropic", variant: "high" }, metadata: { import: { source: "codex", sourceID: "x", path: "/x" }, note: 1 },
      time: { created: t, updated: t + 10, compacting: t + 3, archived: t + 20 }, permission: [{ permission: "edit", pattern: "*", action: "deny" }],
      revert: { messageID: assistantID, partID: assistantParts[2].id, snapshot: "tree1", diff: "@@", files: ["a.ts"], conflicts: [], reverted: "tree3" },
    }
    expect(SessionInfo.safeParse(info).error).toBeUndefined()
    await writer.createSession(info)
    await writer.message(user, directory)
    await writer.message(assistant, directory)
    for (const item of [...userParts, ...assistantParts]) {
      expect(Part.safeParse(item).error).toBeUndefined()
      await writer.part(item, directory)
    }
    await writer.todos(sessionID, [{ content: "a", status: "pending", priority: "high" }, { content: "b", status: "completed", priority: "low" }], directory)
    const original: ImportedSession = {
      info,
      messages: [{ info: user, parts: userParts }, { info: assistant, parts: assistantParts }],
      todos: [{ content: "a", status: "pending", priority: "high" }, { content: "b", status: "completed", priority: "low" }],
    }

    const exported = await exportSession(db, sessionID)
    expect(exported?.info.metadata?.spool).toEqual({ exportVersion: 1 })
    expect(await exportSession(db, createId("session"))).toBeUndefined()
    const file = join(tempDir(), "export.json")
    const text = formatExport(exported!)
    expect(text.startsWith('{\n  "info": {\n    "')).toBe(true)
    expect(text.endsWith("}\n")).toBe(true)
    writeFileSync(file, text)

    const first = await parse(file)
    expect(first.problems).toEqual([])
    expect(first.sessions).toEqual([original])
    const second = await parse(file)
    expect(second.sessions).toEqual(first.sessions)

    // A parent exported on its own (no messages) and a reader function instead of a database.
    const parent = await exportSession(async (id) => {
      const stored = await repository.getSession(db, id)
      return stored && { info: stored, messages: [] }
    }, parentID)
    const parentFile = join(tempDir(), "parent.json")
    writeFileSync(parentFile, formatExport(parent!))
    const restored = await parse(parentFile)
    expect(restored.sessions[0].info.id).toBe(parentID)
    expect(restored.sessions[0].info.metadata).toBeUndefined()
    expect(restored.sessions[0].todos).toEqual([])
    await db.destroy()
  })
})
