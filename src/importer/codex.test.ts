import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Message, Part, SessionInfo, type Tokens } from "../session/schema.ts"
import { parseCodex } from "./codex.ts"
import type { ImportedSession, ImportItem, ImportProblem } from "./types.ts"

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/transcripts/codex")
const fixture = (name: string) => join(FIXTURES, name)

async function collect(path: string): Promise<{ items: ImportItem[]; sessions: ImportedSession[]; problems: ImportProblem[] }> {
  const items: ImportItem[] = []
  for await (const item of parseCodex(path)) items.push(item)
  return {
    items,
    sessions: items.flatMap((item) => (item.type === "session" ? [item.session] : [])),
    problems: items.flatMap((item) => (item.type === "problem" ? [item.problem] : [])),
  }
}

function parts(session: ImportedSession): Part[] {
  return session.messages.flatMap((message) => message.parts)
}

function count(session: ImportedSession, type: Part["type"]): number {
  return parts(session).filter((part) => part.type === type).length
}

function role(session: ImportedSession, which: "user" | "assistant"): number {
  return session.messages.filter((message) => message.info.role === which).length
}

/** Sum of the `step-finish` tokens: what the store adds up as the session's usage. */
function tokens(session: ImportedSession): Omit<Tokens, "total"> {
  const sum = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } }
  for (const part of parts(session)) {
    if (part.type !== "step-finish") continue
    sum.input += part.tokens.input
    sum.output += part.tokens.output
    sum.reasoning += part.tokens.reasoning
    sum.cache.read += part.tokens.cache.read
    sum.cache.write += part.tokens.cache.write
  }
  return sum
}

/** Every object validates against the wire schemas, IDs are unique and parts point at their owners. */
function expectValid(session: ImportedSession): void {
  SessionInfo.parse(session.info)
  const ids = new Set<string>()
  for (const message of session.messages) {
    Message.parse(message.info)
    expect(ids.has(message.info.id)).toBe(false)
    ids.add(message.info.id)
    if (message.info.role === "assistant") {
      expect(session.messages.some((other) => other.info.id === (message.info as { parentID: string }).parentID && other.info.role === "user")).toBe(true)
      expect(message.parts[0]?.type).toBe("step-start")
      expect(message.parts.at(-1)?.type).toBe("step-finish")
    }
    for (const part of message.parts) {
      Part.parse(part)
      expect(ids.has(part.id)).toBe(false)
      ids.add(part.id)
      expect(part.messageID).toBe(message.info.id)
      expect(part.sessionID).toBe(session.info.id)
    }
  }
}

/** Every tool call ends completed or error (paired with its result, or marked interrupted). */
function toolStates(session: ImportedSession): Record<string, number> {
  const states: Record<string, number> = {}
  for (const part of parts(session)) if (part.type === "tool") states[part.state.status] = (states[part.state.status] ?? 0) + 1
  return states
}

describe("parseCodex on the corpus fixtures", () => {
  it("localpush-019c8bfe-small: one turn, six model calls, tokens = the file's last total", async () => {
    const { sessions, problems } = await collect(fixture("localpush-019c8bfe-small.jsonl"))
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    expect(session.info.parentID).toBeUndefined()
    expect(session.info.directory).toBe("/redacted/path/ea96e59ed9")
    expect(session.info.metadata?.import).toEqual({ source: "codex", sourceID: "019c8bfe-ec25-79e0-97d7-bda6a9c575ff", path: fixture("localpush-019c8bfe-small.jsonl"), cliVersion: "0.104.0-alpha.1" })
    expect(session.info.time.created).toBe(Date.parse("2026-02-23T19:34:25.573Z"))
    expect(session.info.model).toEqual({ id: "gpt-5.3-codex", providerID: "openai" })
    // 1 user_message event → 1 user message; 6 token_count rows whose total advanced (12 rows: 1 info:null, 5 repeats) → 6 calls
    expect(role(session, "user")).toBe(1)
    expect(role(session, "assistant")).toBe(6)
    expect(count(session, "step-start")).toBe(6)
    expect(count(session, "step-finish")).toBe(6)
    expect(count(session, "reasoning")).toBe(6)
    // text: 6 assistant messages + 1 prompt + 6 injected context items (4 developer + 3 user items − the prompt)
    expect(count(session, "text")).toBe(13)
    const user = session.messages[0]
    expect(user.parts.filter((part) => part.type === "text" && part.synthetic)).toHaveLength(6)
    expect(user.parts.at(-1)).toMatchObject({ type: "text", text: "[REDACTED_TEXT len=98 sha=c002ff99]" })
    expect(user.parts.at(-1)).not.toHaveProperty("synthetic")
    // 5 function_call items, 5 function_call_output items, paired by call_id
    expect(toolStates(session)).toEqual({ completed: 5 })
    // By hand: the last token_count's total_token_usage is input 298373, cached 238848, output 1123,
    // reasoning 483 (jq 'select(.payload.type=="token_count" and .payload.info) | .payload.info.total_token_usage' | tail -1).
    // OpenCode terms: input 298373 − 238848 = 59525, cache.read 238848, output 1123 − 483 = 640, reasoning 483.
    expect(tokens(session)).toEqual({ input: 59525, output: 640, reasoning: 483, cache: { read: 238848, write: 0 } })
    // First call: the first token_count (line 19) total = last: 42772 in / 3456 cached / 204 out / 124 reasoning.
    const first = session.messages[1]
    expect(first.info).toMatchObject({ role: "assistant", modelID: "gpt-5.3-codex", finish: "tool-calls", tokens: { input: 39316, output: 80, reasoning: 124, cache: { read: 3456, write: 0 } } })
    expect(session.messages.at(-1)?.info).toMatchObject({ finish: "stop", tokens: { input: 63441 - 49664, output: 286 - 96, reasoning: 96, cache: { read: 49664 } } })
  })

  it("localpush-019c8a4c-custom-tools: five turns, 81 calls, function + custom + web search tools", async () => {
    const { sessions, problems } = await collect(fixture("localpush-019c8a4c-custom-tools.jsonl"))
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    // 5 user_message events; 162 token_count rows = 1 info:null + 81 distinct totals + 80 repeats
    expect(role(session, "user")).toBe(5)
    expect(role(session, "assistant")).toBe(81)
    expect(count(session, "step-finish")).toBe(81)
    expect(count(session, "reasoning")).toBe(69)
    // 43 assistant messages + 5 prompts + 15 context items (10 developer + 10 user items − 5 prompts)
    expect(count(session, "text")).toBe(63)
    // 82 function_call + 22 custom_tool_call (apply_patch) + 1 web_search_call; 82 + 22 outputs
    expect(count(session, "tool")).toBe(105)
    expect(toolStates(session)).toEqual({ completed: 105 })
    const patch = parts(session).find((part) => part.type === "tool" && part.tool === "apply_patch")
    expect(patch).toMatchObject({ callID: "call_KH5gIhTdPia26j6m61o8LRiY", state: { status: "completed", input: { patchText: "[REDACTED_INPUT len=6285 sha=a6f17956]" }, output: "[REDACTED_OUTPUT len=175 sha=40d4d2ac]" } })
    // By hand: last total_token_usage of the file: input 7204025, cached 6836352, output 36075, reasoning 17896.
    // OpenCode terms: input 7204025 − 6836352 = 367673, cache.read 6836352, output 36075 − 17896 = 18179, reasoning 17896.
    expect(tokens(session)).toEqual({ input: 367673, output: 18179, reasoning: 17896, cache: { read: 6836352, write: 0 } })
  })

  it("simonw-homelab-trimmed: context items become synthetic parts of the prompt; no replies, no usage", async () => {
    const { sessions, problems } = await collect(fixture("simonw-homelab-trimmed.jsonl"))
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    expect(session.info.title).toBe("can you analyse the MD files in this directory and determine if the info we have is clear enough ...")
    expect(session.info.metadata?.import).toMatchObject({ cliVersion: "0.77.0", sourceID: "019b64e5-57fa-7463-b644-fba7e456f905" })
    // AGENTS.md + <environment_context> user items, then the prompt recorded both as item and event (one message)
    expect(role(session, "user")).toBe(1)
    expect(role(session, "assistant")).toBe(0)
    const texts = session.messages[0].parts.map((part) => (part.type === "text" ? [part.text.slice(0, 21), part.synthetic ?? false] : part.type))
    expect(texts).toEqual([
      ["# AGENTS.md instructi", true],
      ["<environment_context>", true],
      ["can you analyse the M", false],
    ])
    expect(session.messages[0].info).toMatchObject({ model: { modelID: "gpt-5.2-codex", providerID: "openai" } })
    // 6 identical turn_context lines → one entry with 5 repeats; no token_count → zero usage
    const contexts = (session.info.metadata?.codex as { turnContexts: Array<{ repeats: number }> }).turnContexts
    expect(contexts).toHaveLength(1)
    expect(contexts[0].repeats).toBe(5)
    expect(tokens(session)).toEqual({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })
  })

  it("synthetic-ccusage-fixture-alpha: no session_meta; usage-only calls under a placeholder prompt", async () => {
    const { sessions, problems } = await collect(fixture("synthetic-ccusage-fixture-alpha.jsonl"))
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    expect(session.info.metadata?.import).toMatchObject({ source: "codex", sourceID: "synthetic-ccusage-fixture-alpha" })
    expect(session.info.title).toBe("New session - 2026-05-13T09:00:00.000Z")
    expect(role(session, "user")).toBe(1)
    expect(role(session, "assistant")).toBe(2)
    // model of the 1st call from turn_context, of the 2nd from token_count info.model
    expect(session.messages.slice(1).map((message) => message.info.role === "assistant" && message.info.modelID)).toEqual(["gpt-5.2-codex", "gpt-5.3-codex"])
    // By hand: last total 3500 in / 750 cached / 425 out / 275 reasoning → 2750 / 750 / 150 / 275
    // (= row 1 total 1000/250/125/75 + delta 2500/500/300/200, which is also row 2's last_token_usage)
    expect(tokens(session)).toEqual({ input: 2750, output: 150, reasoning: 275, cache: { read: 750, write: 0 } })
  })

  it("synthetic-agentsessions-stage0-small: every 0.146-era record kind, 6 compactions, copied metas", async () => {
    const { sessions, problems } = await collect(fixture("synthetic-agentsessions-stage0-small.jsonl"))
    expect(problems).toEqual([])
    // One file = one thread: the first session_meta (019fc8be-…, source "cli") is the file's own; the
    // six later ones (lines 29, 36, 37, 42, 94, 96, id "[trimmed for fixture]") are copied metas, so
    // the file is one root session and no child sessions.
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    expect(session.info.parentID).toBeUndefined()
    const codex = session.info.metadata?.codex as Record<string, unknown>
    expect((codex.copiedSessionMetas as Array<{ line: number }>).map((meta) => meta.line)).toEqual([29, 36, 37, 42, 94, 96])
    // timestamps after line 28 are "[trimmed for fixture]": the replay region never ends
    expect(codex.replayedLines).toEqual([{ fromLine: 29, toLine: 118 }])
    expect(session.info.title).toBe("List the files")
    // users: prompts (4, 71) + inter-agent agent_message items (33, 116) + 6 compacted records
    expect(role(session, "user")).toBe(10)
    expect(count(session, "compaction")).toBe(6)
    // assistants: 4 calls in turn 1 (7–10 | 12 | 14–22 | 23), 6 compaction summaries, 2 error-only
    // replies (task_complete error at 34, error event at 73), calls at 39–43, 49, 103, 114
    expect(role(session, "assistant")).toBe(16)
    expect(session.messages.filter((message) => message.info.role === "assistant" && message.info.summary)).toHaveLength(6)
    expect(session.messages.filter((message) => message.info.role === "assistant" && message.info.error).map((message) => (message.info as { error: { name: string } }).error.name)).toEqual([
      "MessageAbortedError",
      "UnknownError",
      "UnknownError",
    ])
    // tools 9, 10, 12, 14, 43, 49, 103, 114; line 43's tool_search_call never gets an output
    expect(count(session, "tool")).toBe(8)
    expect(toolStates(session)).toEqual({ completed: 7, error: 1 })
    const webSearch = parts(session).find((part) => part.type === "tool" && part.tool === "web_search")
    expect(webSearch).toMatchObject({ callID: "ws-1", state: { status: "completed", input: { query: "example" } } })
    expect(webSearch).toMatchObject({ metadata: { codex: { events: [{ line: 15, type: "web_search_end" }] } } })
    // By hand: token_count rows at 22 (total 16341 in / 3584 cached / 81 out / 63 reasoning), 86 (info
    // null), 87 (all zeros, inside the replay) → only line 22 counts: 12757 / 3584 / 18 / 63.
    expect(tokens(session)).toEqual({ input: 12757, output: 18, reasoning: 63, cache: { read: 3584, write: 0 } })
  })

  it("parsing twice gives identical output", async () => {
    for (const name of ["localpush-019c8a4c-custom-tools.jsonl", "localpush-019c8bfe-small.jsonl", "simonw-homelab-trimmed.jsonl", "synthetic-agentsessions-stage0-small.jsonl", "synthetic-ccusage-fixture-alpha.jsonl"]) {
      const first = await collect(fixture(name))
      const second = await collect(fixture(name))
      expect(second.items).toEqual(first.items)
    }
  })
})

describe("parseCodex on damaged input", () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spool-codex-"))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("imports the rest of a truncated file with garbage appended and reports each bad line", async () => {
    const lines = (await readFile(fixture("localpush-019c8bfe-small.jsonl"), "utf8")).trimEnd().split("\n")
    expect(lines).toHaveLength(63)
    const broken = [...lines.slice(0, 62), lines[62].slice(0, 40), "garbage", "[1,2,3]", '{"type":"event_msg","payload":{"no":"type"}}', '{"timestamp":"x"}']
    const path = join(dir, "rollout-2026-02-23T20-34-25-019c8bfe-ec25-79e0-97d7-bda6a9c575ff.jsonl")
    await writeFile(path, `${broken.join("\n")}\n`)
    const { sessions, problems, items } = await collect(path)
    expect(problems.map((problem) => [problem.line, problem.message.split(":")[0]])).toEqual([
      [63, "invalid JSON"],
      [64, "invalid JSON"],
      [65, "not a JSON object (array)"],
      [66, '"event_msg" record without payload.type'],
      [67, "record without a type"],
    ])
    expect(problems.every((problem) => problem.path === path)).toBe(true)
    expect(items.some((item) => item.type === "progress")).toBe(true)
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expectValid(session)
    // line 63 (task_complete) was lost; every message and token of lines 1–62 is there, with the same IDs
    const whole = (await collect(fixture("localpush-019c8bfe-small.jsonl"))).sessions[0]
    expect(session.messages.map((message) => message.info.id)).toEqual(whole.messages.map((message) => message.info.id))
    expect(tokens(session)).toEqual(tokens(whole))
  })

  it("reads envelope-less legacy lines (bare meta first, bare items, record_type state)", async () => {
    const path = join(dir, "rollout-2025-04-20T10-00-00-5973b6c0-94b8-487b-a530-2aeb6098ae0e.jsonl")
    const legacy = [
      { id: "5973b6c0-94b8-487b-a530-2aeb6098ae0e", timestamp: "2025-04-20T10:00:00.000Z", instructions: "Be brief" },
      { record_type: "state" },
      { type: "message", role: "user", content: [{ type: "input_text", text: "<user_instructions>\nBe brief\n</user_instructions>" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Running it" }] },
      { type: "local_shell_call", id: "ls_1", call_id: "call_9", status: "completed", action: { type: "exec", command: ["echo", "hi"] } },
      { type: "function_call_output", call_id: "call_9", output: JSON.stringify({ output: "hi\n", metadata: { exit_code: 0, duration_seconds: 0.1 } }) },
    ]
    await writeFile(path, `${legacy.map((value) => JSON.stringify(value)).join("\n")}\n`)
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    const [session] = sessions
    expectValid(session)
    expect(session.info.metadata?.import).toMatchObject({ sourceID: "5973b6c0-94b8-487b-a530-2aeb6098ae0e" })
    expect(session.info.title).toBe("Say hi")
    // no user_message events: the recognised <user_instructions> item is context, the other the prompt
    expect(session.messages.map((message) => message.parts.map((part) => (part.type === "text" ? `${part.synthetic ? "context" : "text"}:${part.text.slice(0, 6)}` : part.type)))).toEqual([
      ["context:<user_", "text:Say hi"],
      ["step-start", "text:Runnin", "tool", "step-finish"],
    ])
    const tool = parts(session).find((part) => part.type === "tool")
    expect(tool).toMatchObject({ tool: "local_shell", callID: "call_9", state: { status: "completed", input: { command: ["echo", "hi"] }, output: "hi\n", title: "echo hi", metadata: { codex: { exit_code: 0 } } } })
    expect(session.info.time.created).toBe(Date.parse("2025-04-20T10:00:00.000Z"))
  })

  it("reports an unreadable path and an empty file without throwing", async () => {
    expect((await collect(join(dir, "missing.jsonl"))).problems).toHaveLength(1)
    const empty = join(dir, "empty.jsonl")
    await writeFile(empty, "\n")
    const { sessions, problems } = await collect(empty)
    expect(sessions).toEqual([])
    expect(problems).toEqual([{ path: empty, message: "no Codex records in this file" }])
  })
})

// A parent thread, a sub-agent thread and a fork, as Codex writes them (spec 2.6): child files start
// with their own session_meta, then the parent's rollout copied in one burst (its session_meta and
// token rows included), then, seconds later, their own turn. UUID v7 ids carry their creation time.
const PARENT = "019ca000-0000-7000-8000-000000000001"
const CHILD = "019ca000-ea60-7000-8000-000000000002"
const FORK = "019ca001-d4c0-7000-8000-000000000003"
const T0 = parseInt(PARENT.replace(/-/g, "").slice(0, 12), 16)

function line(time: number, type: string, payload: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: new Date(time).toISOString(), type, payload })
}
function usage(input: number, cached: number, output: number, reasoning: number) {
  return { input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: reasoning, total_tokens: input + output }
}
function tokenCount(time: number, total: ReturnType<typeof usage>, last: ReturnType<typeof usage>): string {
  return line(time, "event_msg", { type: "token_count", info: { total_token_usage: total, last_token_usage: last, model_context_window: 400000 }, rate_limits: null })
}
function parentHistory(t: (offset: number) => number): string[] {
  return [
    line(t(0), "session_meta", { id: PARENT, timestamp: new Date(T0).toISOString(), cwd: "/work/proj", originator: "codex_cli_rs", cli_version: "0.150.0", source: "cli", model_provider: "openai" }),
    line(t(1), "turn_context", { cwd: "/work/proj", model: "gpt-5.5", effort: "high" }),
    line(t(2), "response_item", { type: "message", role: "user", content: [{ type: "input_text", text: "<environment_context>\n  <cwd>/work/proj</cwd>\n</environment_context>" }] }),
    line(t(3), "response_item", { type: "message", role: "user", content: [{ type: "input_text", text: "Find the bug" }] }),
    line(t(3), "event_msg", { type: "user_message", message: "Find the bug", images: [] }),
    line(t(4), "response_item", { type: "reasoning", summary: [{ type: "summary_text", text: "Looking" }], content: null, encrypted_content: "gAAA" }),
    line(t(5), "response_item", { type: "function_call", name: "exec_command", arguments: '{"cmd":"ls"}', call_id: "call_1" }),
    tokenCount(t(6), usage(1000, 200, 50, 10), usage(1000, 200, 50, 10)),
    line(t(7), "response_item", { type: "function_call_output", call_id: "call_1", output: "a.txt" }),
    tokenCount(t(8), usage(1000, 200, 50, 10), usage(1000, 200, 50, 10)),
    line(t(9), "response_item", { type: "message", role: "assistant", content: [{ type: "output_text", text: "Spawning a helper" }] }),
    tokenCount(t(10), usage(2200, 1100, 80, 20), usage(1200, 900, 30, 10)),
  ]
}
/** The child's own turn: its prompt right after the copied burst, the model's reply seconds later. */
function ownTurn(start: number, prompt: string, total: ReturnType<typeof usage>, last: ReturnType<typeof usage>): string[] {
  return [
    line(start, "turn_context", { cwd: "/work/proj", model: "gpt-5.5-mini" }),
    line(start + 1, "event_msg", { type: "user_message", message: prompt }),
    line(start + 1, "response_item", { type: "message", role: "user", content: [{ type: "input_text", text: prompt }] }),
    line(start + 2500, "response_item", { type: "message", role: "assistant", content: [{ type: "output_text", text: "Done" }] }),
    tokenCount(start + 2501, total, last),
  ]
}

describe("parseCodex on a CODEX_HOME tree with a sub-agent and a fork", () => {
  let home: string
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "spool-codex-home-"))
    const day = join(home, "sessions", "2026", "03", "01")
    await mkdir(day, { recursive: true })
    await mkdir(join(home, "archived_sessions"), { recursive: true })
    const T1 = T0 + 60_000
    const T2 = T0 + 120_000
    await writeFile(join(day, `rollout-2026-03-01T10-00-00-${PARENT}.jsonl`), `${parentHistory((offset) => T0 + offset * 1000).join("\n")}\n`)
    const child = [
      line(T1, "session_meta", { id: CHILD, timestamp: new Date(T1).toISOString(), cwd: "/work/proj", cli_version: "0.150.0", model_provider: "openai", source: { subagent: { thread_spawn: { parent_thread_id: PARENT, depth: 1, agent_nickname: "Scout", agent_role: "explorer" } } } }),
      ...parentHistory((offset) => T1 + 1 + offset),
      ...ownTurn(T1 + 20, "Explore the repo", usage(2700, 1200, 120, 30), usage(500, 100, 40, 10)),
    ]
    await writeFile(join(day, `rollout-2026-03-01T10-01-00-${CHILD}.jsonl`), `${child.join("\n")}\n`)
    const fork = [
      line(T2, "session_meta", { id: FORK, timestamp: new Date(T2).toISOString(), cwd: "/work/proj", cli_version: "0.150.0", forked_from_id: PARENT, thread_source: "fork", source: "cli" }),
      ...parentHistory((offset) => T2 + 1 + offset),
      ...ownTurn(T2 + 20, "Try another way", usage(4200, 2100, 180, 40), usage(2000, 1000, 100, 20)),
    ]
    await writeFile(join(home, "archived_sessions", `rollout-2026-03-01T10-02-00-${FORK}.jsonl`), `${fork.join("\n")}\n`)
    await writeFile(join(home, "history.jsonl"), '{"session_id":"x","ts":1,"text":"not a rollout"}\n')
  })
  afterAll(async () => {
    await rm(home, { recursive: true, force: true })
  })

  it("reads sessions/ and archived_sessions/ only, links the sub-agent and counts copied history once", async () => {
    const { sessions, problems } = await collect(home)
    expect(problems).toEqual([])
    expect(sessions.map((session) => session.info.metadata?.import?.sourceID)).toEqual([PARENT, CHILD, FORK])
    const [parent, child, fork] = sessions
    for (const session of sessions) expectValid(session)

    // parent: 2 calls; tokens = its last total 2200/1100/80/20 → 1100 / 1100 / 60 / 20
    expect(parent.info.parentID).toBeUndefined()
    expect(role(parent, "assistant")).toBe(2)
    expect(tokens(parent)).toEqual({ input: 1100, output: 60, reasoning: 20, cache: { read: 1100, write: 0 } })

    // sub-agent: a child session of the parent; the copied history is imported (flagged replayed) but
    // only its own call counts: total 2700/1200/120/30 − copied 2200/1100/80/20 = 500/100/40/10
    expect(child.info.parentID).toBe(parent.info.id)
    expect(child.info.title).toBe("Explore the repo")
    expect(role(child, "user")).toBe(2)
    expect(role(child, "assistant")).toBe(3)
    expect(tokens(child)).toEqual({ input: 400, output: 30, reasoning: 10, cache: { read: 100, write: 0 } })
    const replayed = parts(child).filter((part) => "metadata" in part && (part.metadata as { codex?: { replayed?: boolean } })?.codex?.replayed)
    expect(replayed.length).toBeGreaterThan(0)
    expect(parts(child).filter((part) => part.type === "step-finish" && part.tokens.input > 0)).toHaveLength(1)
    // the burst: the copied parent (lines 2–13) and the child's own prompt written right after it (14–16);
    // it ends at the reply, 2.5 s later
    expect((child.info.metadata?.codex as { replayedLines: unknown }).replayedLines).toEqual([{ fromLine: 2, toLine: 16 }])

    // fork: independent (no parentID), names its origin, archived, counts 4200/2100/180/40 − 2200/1100/80/20
    expect(fork.info.parentID).toBeUndefined()
    expect((fork.info.metadata?.codex as { forkedFrom: unknown }).forkedFrom).toEqual({ threadID: PARENT, sessionID: parent.info.id })
    expect(fork.info.time.archived).toBe(fork.info.time.updated)
    expect(tokens(fork)).toEqual({ input: 1000, output: 80, reasoning: 20, cache: { read: 1000, write: 0 } })
    expect(fork.info.title).toBe("Try another way")
  })

  it("a sub-agent file without copied history uses last_token_usage for its seeded first row", async () => {
    const path = join(home, `rollout-solo-${CHILD}.jsonl`)
    const solo = [
      line(T0, "session_meta", { id: CHILD, timestamp: new Date(T0 + 60_000).toISOString(), cwd: "/work/proj", source: { subagent: { thread_spawn: { parent_thread_id: PARENT } } } }),
      ...ownTurn(T0 + 1000, "Explore", usage(2700, 1200, 120, 30), usage(500, 100, 40, 10)),
    ]
    await writeFile(path, `${solo.join("\n")}\n`)
    const [session] = (await collect(path)).sessions
    expect(tokens(session)).toEqual({ input: 400, output: 30, reasoning: 10, cache: { read: 100, write: 0 } })
    expect(session.info.parentID).toBe((await collect(join(home, "sessions"))).sessions[0].info.id)
  })
})
