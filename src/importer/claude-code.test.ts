import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Message, Part, SessionInfo, type Tokens } from "../session/schema.ts"
import { parseClaudeCode } from "./claude-code.ts"
import type { ImportedSession, ImportItem, ImportProblem } from "./types.ts"

/** The corpus of real transcripts (`test/fixtures/transcripts/SOURCES.md`). */
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/transcripts/claude-code/", import.meta.url))
const fixture = (name: string) => join(FIXTURES, name)

async function collect(path: string) {
  const items: ImportItem[] = []
  for await (const item of parseClaudeCode(path)) items.push(item)
  const sessions = items.flatMap((item) => (item.type === "session" ? [item.session] : []))
  for (const session of sessions) expectValid(session)
  const problems = items.flatMap((item) => (item.type === "problem" ? [item.problem] : []))
  return { items, sessions, problems, progress: items.filter((item) => item.type === "progress") }
}

/** Every session, message and part satisfies the wire schemas the store and the API use. */
function expectValid(session: ImportedSession) {
  expect(SessionInfo.safeParse(session.info).error).toBeUndefined()
  for (const message of session.messages) {
    expect(Message.safeParse(message.info).error).toBeUndefined()
    for (const part of message.parts) {
      expect(Part.safeParse(part).error).toBeUndefined()
      expect([part.sessionID, part.messageID]).toEqual([session.info.id, message.info.id])
    }
    expect(message.info.sessionID).toBe(session.info.id)
  }
  const users = new Set(session.messages.filter((message) => message.info.role === "user").map((message) => message.info.id))
  for (const { info } of session.messages) if (info.role === "assistant") expect(users.has(info.parentID)).toBe(true)
}

/** Parts by type; tool parts as `tool:<status>`. */
function partCounts(session: ImportedSession): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const message of session.messages) {
    for (const part of message.parts) {
      const key = part.type === "tool" ? `tool:${part.state.status}` : part.type
      counts[key] = (counts[key] ?? 0) + 1
    }
  }
  return counts
}

const roles = (session: ImportedSession) => session.messages.map((message) => message.info.role[0]).join("")
const tokens = (session: ImportedSession): Tokens => session.info.tokens!
const sumTokens = (input: number, output: number, read: number, write: number): Tokens => ({ input, output, reasoning: 0, cache: { read, write } })
const tools = (session: ImportedSession) =>
  session.messages.flatMap((message) => message.parts.filter((part): part is Extract<Part, { type: "tool" }> => part.type === "tool"))

/** Source line numbers an import accounts for: message line envelopes, kept records, tool results. */
function coveredLines(sessions: ImportedSession[]): Set<number> {
  const lines = new Set<number>()
  const take = (metadata: Record<string, unknown> | undefined) => {
    if (!metadata) return
    for (const key of ["lines", "records"]) {
      for (const entry of (metadata[key] as Array<{ line: number }> | undefined) ?? []) lines.add(entry.line)
    }
    const result = metadata.result as { line?: number } | undefined
    if (typeof result?.line === "number") lines.add(result.line)
  }
  for (const session of sessions) {
    take(session.info.metadata?.claude)
    for (const message of session.messages) for (const part of message.parts) take("metadata" in part ? part.metadata : undefined)
  }
  return lines
}

async function lineCount(path: string): Promise<number> {
  return (await readFile(path, "utf8")).split("\n").filter((line) => line.trim() !== "").length
}

/** Every tool call has a final state: a result (completed/error) or the interrupted marker. */
function expectToolsResolved(session: ImportedSession) {
  for (const part of tools(session)) {
    expect(["completed", "error"]).toContain(part.state.status)
    if (part.metadata?.interrupted) expect(part.state.status === "error" && part.state.error).toBe("[Tool execution was interrupted]")
    else expect(part.metadata?.result).toBeDefined()
  }
}

describe("parseClaudeCode on the fixtures", () => {
  it("sniffly (CLI 1.0.17): streaming split merged, interruption, summary title", async () => {
    const path = fixture("sniffly-ai-music-fed8ce56.jsonl")
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expect(session.info.title).toBe("AI Music Generation: Diverse Embedding Mapping") // the `summary` record (line 1)
    expect(session.info.directory).toBe("/Users/chip/dev/ai-music")
    expect(session.info.metadata?.import).toEqual({ source: "claude-code", sourceID: "fed8ce56-bc79-401f-a83e-af084253362f", path, version: "1.0.17" })
    // 2 typed prompts ("push to github", "continue"); 4 distinct message.id over 10 assistant lines.
    expect(roles(session)).toBe("uaauaa")
    // 7 tool_use blocks, all answered; 2 results have is_error:true (lines 13, 14: the user rejected them).
    expect(partCounts(session)).toEqual({ text: 5, "tool:completed": 5, "tool:error": 2, "step-start": 4, "step-finish": 4 })
    expectToolsResolved(session)
    // msg_01NaBn… spans lines 8-11: text then three tool_use, in line order; aborted by line 15.
    const second = session.messages[2]
    expect(second.parts.map((part) => part.type)).toEqual(["step-start", "text", "tool", "tool", "tool", "step-finish"])
    expect(second.info.role === "assistant" && second.info.error?.name).toBe("MessageAbortedError")
    // By hand, per unique message.id+requestId, the line with the largest usage (output_tokens grows:
    // msg_01WX61… is 1 on line 17, 273 on line 18):
    //   input 4+72+4+8 = 88; output 3+1+273+1 = 278; cache read 0+14363+14772+15409 = 44544;
    //   cache write 14363+409+637+591 = 16000.
    expect(tokens(session)).toEqual(sumTokens(88, 278, 44544, 16000))
    expect(coveredLines(sessions)).toEqual(new Set(Array.from({ length: await lineCount(path) }, (_, index) => index + 1)))
  })

  it("ccviewer (CLI 1.0.108): two inline sidechains become linked child sessions", async () => {
    const path = fixture("ccviewer-orchestrator-5c0375b4.jsonl")
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(3)
    const [main, first, second] = sessions
    expect(main.info.parentID).toBeUndefined()
    expect(first.info.parentID).toBe(main.info.id)
    expect(second.info.parentID).toBe(main.info.id)
    expect(main.info.title).toBe("/orchestrator @CLAUDE.md を最新の状態にアップデートしてください")
    // Line 1 is the /orchestrator command, line 2 its isMeta expansion (a synthetic part of the same message).
    expect(main.messages[0].parts.map((part) => part.type === "text" && part.synthetic === true)).toEqual([false, true])
    expect(roles(main)).toBe("u" + "a".repeat(10))
    // Main thread: 13 tool_use; results with is_error:true on lines 15 (Task without prompt) and 46 (Edit).
    expect(partCounts(main)).toEqual({ text: 5, "tool:completed": 11, "tool:error": 2, "step-start": 10, "step-finish": 10 })
    expect(roles(first)).toBe("uaaa")
    expect(partCounts(first)).toEqual({ text: 3, "tool:completed": 2, "step-start": 3, "step-finish": 3 })
    expect(roles(second)).toBe("uaaaaaaa")
    expect(partCounts(second)).toEqual({ text: 3, "tool:completed": 5, "tool:error": 1, "step-start": 7, "step-finish": 7 })
    for (const session of sessions) expectToolsResolved(session)
    // The Task calls whose prompt starts each sidechain point at the child; the failed one (no prompt) does not.
    const tasks = tools(main).filter((part) => part.tool === "Task")
    expect(tasks.map((part) => ("metadata" in part.state ? part.state.metadata?.sessionId : undefined))).toEqual([undefined, first.info.id, second.info.id])
    expect(first.info.title).toBe("Check package configuration (@general-purpose subagent)")
    expect(first.info.agent).toBe("general-purpose")
    // By hand (unique message.id+requestId, max-usage line), grouped by sidechain root (lines 16, 26):
    //   main  in 4+7+8+8+6+6+7+6+6+6 = 64, out 263+302+625+207+24+1+67+26+184+304 = 2003,
    //         read 0+18764+19019+19441+20342+21079+21307+21572+22889+25848 = 190261,
    //         write 18764+255+422+901+737+228+265+1317+2959+226 = 26074;
    //   first in 4+7+7 = 18, out 107+70+308 = 485, read 0+12802+12935 = 25737, write 12802+133+501 = 13436;
    //   second in 4+7+7+8+7+7+7 = 47, out 179+86+102+92+70+92+520 = 1141,
    //         read 11454+12788+13380+13715+18605+18909+19410 = 108261, write 1334+592+335+4890+304+501+281 = 8237.
    expect(tokens(main)).toEqual(sumTokens(64, 2003, 190261, 26074))
    expect(tokens(first)).toEqual(sumTokens(18, 485, 25737, 13436))
    expect(tokens(second)).toEqual(sumTokens(47, 1141, 108261, 8237))
    expect(coveredLines(sessions).size).toBe(await lineCount(path))
  })

  it("spotter (CLI 2.1.38): thinking, split message around a tool result, local command, bookkeeping kept", async () => {
    const path = fixture("spotter-tool-heavy.jsonl")
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expect(session.info.title).toBe("start phoenix in background")
    expect(session.info.slug).toBe("dazzling-imagining-barto")
    // Prompts on lines 4, 21 (/mcp, with the caveat of line 20 and stdout of line 22 as synthetic parts), 26.
    expect(roles(session)).toBe("uaauuaa")
    expect(session.messages[3].parts.map((part) => part.type === "text" && part.synthetic === true)).toEqual([true, false, true])
    expect(partCounts(session)).toEqual({ text: 7, reasoning: 1, "tool:completed": 6, "step-start": 4, "step-finish": 4 })
    expectToolsResolved(session)
    const reasoning = session.messages[5].parts.find((part) => part.type === "reasoning")
    expect(reasoning?.metadata?.signature).toMatch(/^EsQC/)
    // Lines 34 and 37 share msg_…5jdsym with a tool_result between them: one message, two tools.
    expect(session.messages[6].parts.map((part) => part.type)).toEqual(["step-start", "tool", "tool", "step-finish"])
    // By hand (max-usage line per message.id+requestId; msg_…5jdsym: output 25 on line 34, 173 on line 37):
    //   in 3+1+3+47 = 54, out 27+1+11+173 = 212, read 17915+25798+18014+26504 = 88231, write 7883+208+8490+1115 = 17696.
    expect(tokens(session)).toEqual(sumTokens(54, 212, 88231, 17696))
    // 3 file-history-snapshot + 10 progress + 2 queue-operation + 2 system + 2 interruption lines are kept.
    const records = session.messages.flatMap((message) => message.parts.flatMap((part) => ("metadata" in part ? ((part.metadata?.records as unknown[]) ?? []) : [])))
    expect(records).toHaveLength(19)
    expect(coveredLines(sessions).size).toBe(await lineCount(path))
  })

  it("agent-sessions stage0 (synthetic, every record kind): titles, compaction, odd lines survive", async () => {
    const path = fixture("synthetic-agentsessions-stage0-small.jsonl")
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(2)
    const [main, side] = sessions
    expect(main.info.title).toBe("Stage0 small fixture") // custom-title beats agent-name, ai-title and summary
    expect(side.info.parentID).toBe(main.info.id) // lines flagged isSidechain under root `sys1`
    // Assistant responses: line 29, 47, 50, 55 and 65+77+78 (one message.id, adjacent); 8 text parts =
    // 3 assistant text blocks + 5 user text blocks (lines 49, 60, 62, 63, 87).
    expect(roles(main)).toBe("uaauauauuuau")
    expect(partCounts(main)).toEqual({
      compaction: 2, reasoning: 5, text: 8, file: 1, "tool:completed": 1, "tool:error": 1, "step-start": 5, "step-finish": 5,
    })
    // The "[trimmed for fixture]" tool_use (line 55) has no result: marked interrupted.
    expect(tools(main).map((part) => part.metadata?.interrupted ?? false)).toEqual([false, true])
    expectToolsResolved(main)
    // Sidechain: Hello → a1 (tool answered by u2 via sourceToolAssistantUUID; u2b's second result is kept) → a2, a3 → compaction.
    expect(roles(side)).toBe("uaaaua")
    const summary = side.messages[5]
    expect(summary.info.role === "assistant" && summary.info.summary).toBe(true)
    expect(summary.info.role === "assistant" && summary.info.parentID).toBe(side.messages[4].info.id)
    expect(side.messages[4].parts.map((part) => part.type)).toEqual(["compaction"])
    // By hand: only msg_stage0_1 (line 29) has non-zero usage: in 10, out 5.
    expect(tokens(main)).toEqual(sumTokens(10, 5, 0, 0))
    expect(tokens(side)).toEqual(sumTokens(0, 0, 0, 0))
    expect(coveredLines(sessions).size).toBe(await lineCount(path))
  })

  it("ccusage alpha (usage-only lines, no type/uuid): costUSD kept, placeholder prompt", async () => {
    const path = fixture("synthetic-ccusage-fixture-alpha.jsonl")
    const { sessions, problems } = await collect(path)
    expect(problems).toEqual([])
    expect(sessions).toHaveLength(1)
    const [session] = sessions
    expect(session.info.metadata?.import.sourceID).toBe("session-alpha")
    expect(roles(session)).toBe("uaaa")
    expect(session.messages[0].parts).toMatchObject([{ type: "text", synthetic: true, ignored: true }])
    expect(session.messages.slice(1).map((message) => message.info.role === "assistant" && message.info.cost)).toEqual([0.12, 0.34, 0.56])
    expect(session.info.cost).toBeCloseTo(1.02)
    // By hand: in 100+200+300 = 600, out 50+75+125 = 250, read 10+20+40 = 70, write 25+50+0 = 75.
    expect(tokens(session)).toEqual(sumTokens(600, 250, 70, 75))
  })

  it("is deterministic: parsing twice gives identical output", async () => {
    for (const name of ["ccviewer-orchestrator-5c0375b4.jsonl", "synthetic-agentsessions-stage0-small.jsonl"]) {
      const first = await collect(fixture(name))
      const second = await collect(fixture(name))
      expect(second.items).toEqual(first.items)
      const ids = first.sessions.flatMap((session) => [session.info.id, ...session.messages.flatMap((message) => [message.info.id, ...message.parts.map((part) => part.id)])])
      expect(new Set(ids).size).toBe(ids.length)
    }
  })
})

describe("parseClaudeCode on damaged and composed inputs", () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "spool-claude-"))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("skips garbage and a line cut mid-way, reporting line numbers, and imports the rest", async () => {
    const lines = (await readFile(fixture("sniffly-ai-music-fed8ce56.jsonl"), "utf8")).trimEnd().split("\n")
    const last = lines.pop()!
    const damaged = [...lines.slice(0, 3), "this is not json", "42", '{"foo":1}', ...lines.slice(3), last.slice(0, 200)]
    const path = join(dir, "damaged.jsonl")
    await writeFile(path, damaged.join("\n"))
    const { sessions, problems, progress } = await collect(path)
    expect(problems.map((problem: ImportProblem) => [problem.line, problem.message.split(":")[0]])).toEqual([
      [4, "invalid JSON"],
      [5, "not a JSON object"],
      [6, "unrecognized record"],
      [24, "invalid JSON"],
    ])
    expect(problems.every((problem) => problem.path === path)).toBe(true)
    expect(progress.length).toBeGreaterThan(0)
    expect(sessions).toHaveLength(1)
    // The cut line was the only line of msg_014z9C…: that response is gone, the rest is intact.
    expect(roles(sessions[0])).toBe("uaaua")
    expect(tokens(sessions[0])).toEqual(sumTokens(88 - 8, 278 - 1, 44544 - 15409, 16000 - 591))
  })

  it("reads a projects tree: sub-agent files linked, resumed copies deduplicated, empty files reported", async () => {
    const project = join(dir, "projects", "-home-u-app")
    const parentId = "11111111-1111-4111-8111-111111111111"
    await mkdir(join(project, parentId, "subagents"), { recursive: true })
    const base = { sessionId: parentId, cwd: "/home/u/app", version: "2.1.39", userType: "external" }
    const parent = [
      { ...base, type: "user", uuid: "u1", parentUuid: null, timestamp: "2026-01-01T10:00:00.000Z", message: { role: "user", content: "explore the repo" } },
      {
        ...base, type: "assistant", uuid: "a1", parentUuid: "u1", timestamp: "2026-01-01T10:00:02.000Z", requestId: "req_1",
        message: {
          id: "msg_1", role: "assistant", model: "claude-opus-4-6", stop_reason: "tool_use",
          content: [{ type: "tool_use", id: "toolu_T", name: "Agent", input: { subagent_type: "Explore", description: "Map the repo", prompt: "List the modules" } }],
          usage: { input_tokens: 5, output_tokens: 40, cache_read_input_tokens: 100, cache_creation_input_tokens: 10 },
        },
      },
      { ...base, type: "progress", uuid: "p1", parentUuid: "a1", timestamp: "2026-01-01T10:00:03.000Z", data: { type: "agent_progress", agentId: "abc123" }, parentToolUseID: "toolu_T", toolUseID: "agent_msg_1" },
      {
        ...base, type: "user", uuid: "u2", parentUuid: "a1", timestamp: "2026-01-01T10:00:09.000Z", toolUseResult: { agentId: "abc123", status: "completed" },
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_T", content: [{ type: "text", text: "two modules" }] }] },
      },
    ]
    const agent = [
      { ...base, type: "user", isSidechain: true, agentId: "abc123", uuid: "s1", parentUuid: null, timestamp: "2026-01-01T10:00:03.000Z", message: { role: "user", content: "List the modules" } },
      {
        ...base, type: "assistant", isSidechain: true, agentId: "abc123", uuid: "s2", parentUuid: "s1", timestamp: "2026-01-01T10:00:08.000Z", requestId: "req_2",
        message: { id: "msg_2", role: "assistant", model: "claude-haiku-4-5", stop_reason: "end_turn", content: [{ type: "text", text: "two modules" }], usage: { input_tokens: 3, output_tokens: 7 } },
      },
    ]
    const jsonl = (records: unknown[]) => records.map((record) => JSON.stringify(record)).join("\n") + "\n"
    await writeFile(join(project, `${parentId}.jsonl`), jsonl(parent))
    await writeFile(join(project, parentId, "subagents", "agent-abc123.jsonl"), jsonl(agent))
    // An older-CLI resume: a new session file starting with a copy of sniffly's history.
    await copyFile(fixture("sniffly-ai-music-fed8ce56.jsonl"), join(project, "22222222-2222-4222-8222-222222222222.jsonl"))
    await copyFile(fixture("sniffly-ai-music-fed8ce56.jsonl"), join(project, "33333333-3333-4333-8333-333333333333.jsonl"))
    await writeFile(join(project, "44444444-4444-4444-8444-444444444444.jsonl"), jsonl([{ type: "summary", summary: "orphan", leafUuid: "x" }]))

    const { sessions, problems } = await collect(join(dir, "projects"))
    expect(problems).toEqual([{ path: join(project, "44444444-4444-4444-8444-444444444444.jsonl"), message: expect.stringContaining("no conversation") }])
    expect(sessions.map((session) => session.info.metadata?.import.sourceID)).toEqual([
      parentId, `${parentId}:agent-abc123`, "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333",
    ])
    const [main, child, original, copy] = sessions
    expect(child.info.parentID).toBe(main.info.id)
    expect(child.info.title).toBe("Map the repo (@Explore subagent)")
    expect(tools(main)[0].state).toMatchObject({ status: "completed", output: "two modules", metadata: { sessionId: child.info.id } })
    expect(tokens(main)).toEqual(sumTokens(5, 40, 100, 10))
    expect(tokens(child)).toEqual(sumTokens(3, 7, 0, 0))
    // Same message.id+requestId in both copies: counted once (first file in sorted order), kept in both.
    expect(tokens(original)).toEqual(sumTokens(88, 278, 44544, 16000))
    expect(tokens(copy)).toEqual(sumTokens(0, 0, 0, 0))
    expect(roles(copy)).toBe(roles(original))
    const finish = copy.messages[1].parts.at(-1)
    expect(finish?.type === "step-finish" && finish.metadata?.duplicateOf).toBe("22222222-2222-4222-8222-222222222222")

    // The sub-agent file alone still points at its parent session (found next to it on disk).
    const alone = await collect(join(project, parentId, "subagents", "agent-abc123.jsonl"))
    expect(alone.sessions.map((session) => [session.info.id, session.info.parentID])).toEqual([[child.info.id, main.info.id]])
  })

  it("compaction: boundary → user message with a compaction part, continuation summary → summary assistant", async () => {
    const base = { sessionId: "55555555-5555-4555-8555-555555555555", cwd: "/w", version: "2.1.39" }
    const records = [
      { ...base, type: "user", uuid: "u1", parentUuid: null, timestamp: "2026-01-02T10:00:00.000Z", message: { role: "user", content: "first task" } },
      { ...base, type: "assistant", uuid: "a1", parentUuid: "u1", timestamp: "2026-01-02T10:00:01.000Z", requestId: "r1", message: { id: "m1", role: "assistant", model: "claude-opus-4-6", content: [{ type: "text", text: "done" }], stop_reason: "end_turn", usage: { input_tokens: 1, output_tokens: 2 } } },
      { ...base, type: "system", subtype: "compact_boundary", uuid: "b1", parentUuid: null, logicalParentUuid: "a1", timestamp: "2026-01-02T10:05:00.000Z", content: "Conversation compacted", compactMetadata: { trigger: "manual", preTokens: 1234 } },
      { ...base, type: "user", uuid: "c1", parentUuid: "b1", isCompactSummary: true, isVisibleInTranscriptOnly: true, timestamp: "2026-01-02T10:05:01.000Z", message: { role: "user", content: "This session is being continued from a previous conversation. Summary: did the first task." } },
      { ...base, type: "user", uuid: "u2", parentUuid: "c1", timestamp: "2026-01-02T10:06:00.000Z", message: { role: "user", content: "second task" } },
    ]
    const path = join(dir, "compaction.jsonl")
    await writeFile(path, records.map((record) => JSON.stringify(record)).join("\n"))
    const { sessions } = await collect(path)
    const [session] = sessions
    expect(roles(session)).toBe("uauau")
    const [, , boundary, summary] = session.messages
    expect(boundary.parts).toMatchObject([{ type: "compaction", auto: false }])
    expect(summary.info).toMatchObject({ role: "assistant", summary: true, parentID: boundary.info.id, modelID: "claude-opus-4-6" })
    expect(summary.parts.map((part) => part.type)).toEqual(["step-start", "text", "step-finish"])
    // The boundary record itself rides on the next message (a compaction message has no text part to carry it).
    const carried = summary.parts.at(-1)
    expect(carried?.type === "step-finish" && (carried.metadata?.records as Array<{ line: number }>).map((entry) => entry.line)).toEqual([3])
  })
})
