/**
 * Prompt assembly time for a long session (issue 4): a 500-message session (250 turns, each a user
 * prompt and an assistant step with text and a completed tool call) stored in SQLite; measured is what
 * a turn does before calling the provider: load the messages with their parts, order them by turn,
 * cut the compaction window, convert to model messages, and place cache breakpoints.
 *
 *   node bench/prompt.ts      (also run by `npm run bench`)
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { percentile } from "./lib/stats.ts"
import { createBus } from "../src/bus/index.ts"
import { createId } from "../src/id/index.ts"
import { preparePrompt } from "../src/provider/cache.ts"
import { createWriter } from "../src/session/index.ts"
import { filterCompacted } from "../src/session/compaction.ts"
import { orderByTurn, toModelMessages } from "../src/session/history.ts"
import { repository } from "../src/session/repository.ts"
import { openSqlite } from "../src/storage/index.ts"

export interface PromptBenchResult {
  messages: number
  parts: number
  p50Ms: number
  p99Ms: number
}


export async function promptBench(options: { messages?: number; runs?: number } = {}): Promise<PromptBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "spool-bench-prompt-"))
  const db = await openSqlite(join(dir, "spool.db"))
  try {
    const writer = createWriter(db, createBus())
    const sessionID = createId("session")
    const now = Date.now()
    await writer.createSession({ id: sessionID, slug: "a-b", projectID: "bench", directory: dir, title: "bench", version: "0", time: { created: now, updated: now } })
    const turns = (options.messages ?? 500) / 2
    let parts = 0
    for (let turn = 0; turn < turns; turn++) {
      const user = { id: createId("message"), sessionID, role: "user" as const, time: { created: now + turn * 10 }, agent: "build", model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" } }
      await writer.message(user, dir)
      await writer.part({ id: createId("part"), sessionID, messageID: user.id, type: "text", text: `Please look at module ${turn} and fix the bug described in issue #${turn}.` }, dir)
      const assistant = {
        id: createId("message"), sessionID, role: "assistant" as const, time: { created: now + turn * 10 + 1, completed: now + turn * 10 + 2 }, parentID: user.id,
        modelID: "claude-sonnet-4-5", providerID: "anthropic", mode: "build", agent: "build", path: { cwd: dir, root: dir }, cost: 0.01,
        tokens: { input: 100, output: 50, reasoning: 0, cache: { read: 1000, write: 10 } }, finish: "stop",
      }
      await writer.message(assistant, dir)
      const base = { sessionID, messageID: assistant.id }
      await writer.part({ ...base, id: createId("part"), type: "step-start" }, dir)
      await writer.part({ ...base, id: createId("part"), type: "text", text: `Reading module ${turn}. `.repeat(20), time: { start: now, end: now } }, dir)
      await writer.part({ ...base, id: createId("part"), type: "tool", callID: `call_${turn}`, tool: "read", state: { status: "completed", input: { filePath: `src/m${turn}.ts` }, output: `export const m${turn} = ${turn}\n`.repeat(40), title: `src/m${turn}.ts`, metadata: {}, time: { start: now, end: now } } }, dir)
      await writer.part({ ...base, id: createId("part"), type: "step-finish", reason: "stop", cost: 0.01, tokens: assistant.tokens }, dir)
      parts += 5
    }
    const times: number[] = []
    for (let run = 0; run < (options.runs ?? 30); run++) {
      const start = performance.now()
      const stored = await repository.listMessages(db, sessionID)
      const history = toModelMessages(filterCompacted(orderByTurn(stored.items)), "anthropic")
      preparePrompt({ api: "anthropic", modelID: "claude-sonnet-4-5" }, { system: ["system prompt", "instructions"], stableBlocks: 2, messages: history }, { stable: "1h", messages: "5m" })
      times.push(performance.now() - start)
    }
    return { messages: turns * 2, parts, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) }
  } finally {
    await db.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await promptBench(), null, 2))
}
