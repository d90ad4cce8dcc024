import { createHash } from "node:crypto"
import { readFileSync, realpathSync } from "node:fs"
import { join } from "node:path"
import type { ToolPart } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { lastToolResults, startFakeLLM, type FakeLLM, type FakeRequest, type FakeTurn } from "../fixture/fake-llm.ts"
import { startSpoolApp, until, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 3's concurrency proof: 8 sessions with scripted models edit 5 shared files at the same time
 * through the API. Every edit either lands or is refused with the stale-read error, no edit is silently
 * lost, and the final files equal the replay of the accepted edits.
 *
 * The scripted model (one per session; the fake LLM routes every request whose first user message says
 * "worker-N." to worker N's model):
 * - does ROUNDS edits; in round r, worker N edits `file-((r + N) % 5).txt`, so in every round all 5
 *   files are edited, 3 of them by two workers at once (N and N + 5);
 * - each edit reads the file first, then replaces its last line `version: V` by its own marker line plus
 *   `version: V+1` — with `edit` (oldString = `version: V` as read) or, for both writers of one of the
 *   shared files each round, with `write` (the whole content as read, changed the same way). Either way an edit is a compare-and-swap on what
 *   its session read: applied to any other version it would lose a line, or fail to apply;
 * - on a stale-read refusal it reads again and retries (at most MAX_ATTEMPTS attempts per edit); on any
 *   other error it stops.
 *
 * Contention is guaranteed, not hoped for: a barrier in the fake LLM holds each round's first edit
 * attempts until every worker has read its file for the round (reads themselves race the previous
 * round's retries). The two writers of a shared file then race from versions they read before either
 * wrote, so at least one of them is refused: at least 3 refusals per round (one of them a `write`).
 * Retries race freely.
 *
 * Replay order: every edit names the version it was made from (`version: V` is its oldString, or the
 * last line of the content it replaced; its marker says "from version V"), so a file's accepted edits
 * sort by that number. The order comes from the data, not from clocks. The test then checks that it is a
 * complete chain (versions 0, 1, …, k-1, each exactly once — two accepted edits from one version would
 * be a lost update), that replaying it on the original reproduces the file byte for byte, that the tool
 * parts' `time.end` agree with it, and that the file guard's last-writer sidecar names its last writer.
 *
 * Size: every step of every session takes work-tree snapshots (git), serialised per work tree, at about
 * 0.1 s each, so the test is sized by step count: 78 model requests, about 8 s (timeouts leave room for
 * a loaded machine).
 */
const WORKERS = 8
const FILES = 5
const ROUNDS = 3
const MAX_ATTEMPTS = 4
const STALE = [/has been modified since this session last read it/, /^You must read file /]

const fileName = (file: number) => `file-${file}.txt`
const targetFile = (worker: number, round: number) => (round + worker) % FILES
/** Some edits rewrite the whole file with `write`: both workers of one shared file per round. */
const usesWrite = (worker: number, round: number) => ((worker % FILES) + round) % 3 === 2
const original = (file: number) =>
  [`# shared file ${file}`, `alpha ${file}`, `beta ${file}`, `gamma ${file}`, "version: 0"].join("\n") + "\n"
const marker = (worker: number, round: number, attempt: number, version: number) =>
  `edit by worker-${worker} round ${round} attempt ${attempt} (from version ${version})`
const MARKER = /^edit by worker-(\d+) round (\d+) attempt (\d+) \(from version (\d+)\)$/

/** A barrier per name: resolves when every party still running has arrived. */
function barriers(parties: number) {
  const waiting = new Map<string, { arrived: number; release: () => void; done: Promise<void> }>()
  const check = () => {
    for (const entry of waiting.values()) if (entry.arrived >= parties) entry.release()
  }
  return {
    arrive(name: string): Promise<void> {
      let entry = waiting.get(name)
      if (!entry) {
        let release!: () => void
        const done = new Promise<void>((resolve) => (release = resolve))
        waiting.set(name, (entry = { arrived: 0, release, done }))
      }
      entry.arrived++
      check()
      return entry.done
    },
    /** A party stopped early: nobody waits for it any more. */
    leave() {
      parties--
      check()
    },
  }
}

/** The file content shown by a `read` result, or undefined when it does not look like a whole file of ours. */
function contentOf(output: string): { content: string; version: number } | undefined {
  const match = /<content>\n([\s\S]*)\n\n\(End of file - total \d+ lines\)\n<\/content>$/.exec(output)
  if (!match) return undefined
  const lines = match[1].split("\n").map((line) => line.replace(/^\d+: /, ""))
  const version = /^version: (\d+)$/.exec(lines.at(-1) ?? "")
  if (!version) return undefined
  return { content: lines.join("\n") + "\n", version: Number(version[1]) }
}

interface WorkerLog {
  attempts: number
  landed: number
  refused: number
  rereads: number
  finished?: "done" | "gave up" | "unexpected"
  unexpected?: string
}

/** The scripted model of worker `worker`: a stateful turn generator (its requests arrive one at a time). */
function scriptedWorker(worker: number, sync: ReturnType<typeof barriers>, log: WorkerLog) {
  let round = 0
  let attempt = 0
  // A few ms of random delay between the SSE frames of each answer, to vary the interleavings between
  // runs (every assertion holds for any interleaving).
  const jitter = () => Math.floor(Math.random() * 4)
  const read = (): FakeTurn => ({ toolCalls: [{ name: "read", input: { filePath: fileName(targetFile(worker, round)) } }], delayMs: jitter() })
  const stop = (finished: "gave up" | "unexpected", text: string): FakeTurn => {
    log.finished = finished
    log.unexpected = text
    sync.leave()
    return { text }
  }

  return async (request: FakeRequest): Promise<FakeTurn> => {
    const [result, ...more] = lastToolResults(request.body)
    if (!result) return read()
    if (more.length > 0) return stop("unexpected", `expected one tool result, got ${1 + more.length}`)

    if (result.name === "read") {
      if (result.isError) return stop("unexpected", `read failed: ${result.output}`)
      const seen = contentOf(result.output)
      if (!seen) {
        // A read that raced a write and saw part of the file: read again (bounded).
        if (++log.rereads > 50) return stop("unexpected", `unreadable: ${result.output}`)
        return read()
      }
      if (attempt === 0) await sync.arrive(`edit ${round}`)
      attempt++
      log.attempts++
      const file = fileName(targetFile(worker, round))
      const next = `${marker(worker, round, attempt, seen.version)}\nversion: ${seen.version + 1}\n`
      const old = `version: ${seen.version}\n`
      const call = usesWrite(worker, round)
        ? { name: "write", input: { filePath: file, content: seen.content.slice(0, -old.length) + next } }
        : { name: "edit", input: { filePath: file, oldString: old, newString: next } }
      return { toolCalls: [call], delayMs: jitter() }
    }

    if (result.name === "edit" || result.name === "write") {
      if (!result.isError) {
        log.landed++
        round++
        attempt = 0
        if (round === ROUNDS) {
          log.finished = "done"
          return { text: `worker-${worker}: all ${ROUNDS} edits landed` }
        }
        return read()
      }
      if (!STALE.some((pattern) => pattern.test(result.output))) return stop("unexpected", `edit failed: ${result.output}`)
      log.refused++
      if (attempt >= MAX_ATTEMPTS) return stop("gave up", `gave up after ${attempt} attempts`)
      return read()
    }
    return stop("unexpected", `unexpected tool result ${result.name}`)
  }
}

/** One attempted edit, from the persisted tool part. */
interface Attempt {
  session: string
  worker: number
  tool: string
  file: string
  part: ToolPart
  marker: string
  round: number
  from: number
}

describe("8 sessions edit 5 shared files concurrently", () => {
  let llm: FakeLLM
  let spool: SpoolApp

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: Object.fromEntries(Array.from({ length: FILES }, (_, file) => [fileName(file), original(file)])) })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  test("every edit lands or is refused as stale; none is lost; the files are the replay of the accepted edits", { timeout: 60_000 }, async () => {
    const client = spool.client()
    const sync = barriers(WORKERS)
    const logs: WorkerLog[] = Array.from({ length: WORKERS }, () => ({ attempts: 0, landed: 0, refused: 0, rereads: 0 }))
    const sessions: string[] = []
    for (let worker = 0; worker < WORKERS; worker++) {
      // Routing: the prompt says "worker-N."; the fake LLM hands every request of that conversation to
      // worker N's scripted model, whatever the other 7 conversations are doing.
      llm.converse(`worker-${worker}.`, scriptedWorker(worker, sync, logs[worker]))
      sessions.push((await client.session.create({ title: `worker-${worker}` })).data!.id)
    }
    const started = Date.now()
    await Promise.all(
      sessions.map((sessionID, worker) =>
        client.session.promptAsync({ sessionID, parts: [{ type: "text", text: `You are worker-${worker}. Edit the shared files.` }] }),
      ),
    )
    await until(() => logs.every((log) => log.finished), "every worker to finish", 50_000).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(logs)}`)
    })
    await until(async () => Object.keys((await client.session.status()).data ?? {}).length === 0, "every session to go idle", 5_000)
    const elapsed = Date.now() - started

    // The scripted models saw what they expected: every edit landed (after retries), nothing else failed.
    expect(logs.map((log) => log.unexpected ?? log.finished)).toEqual(Array(WORKERS).fill("done"))

    // -- What the API persisted: every edit/write part, and nothing but stale-read refusals as errors.
    const attempts: Attempt[] = []
    for (const [worker, session] of sessions.entries()) {
      const messages = (await client.session.messages({ sessionID: session })).data!
      for (const message of messages) {
        if (message.info.role === "assistant") expect(message.info.error, `worker-${worker}`).toBeUndefined()
        for (const part of message.parts) {
          if (part.type !== "tool") continue
          if (part.tool === "read") {
            expect(part.state.status, `worker-${worker} read`).toBe("completed")
            continue
          }
          expect(["edit", "write"]).toContain(part.tool)
          expect(["completed", "error"]).toContain(part.state.status)
          if (part.state.status === "error") {
            const error = part.state.error
            expect(STALE.some((pattern) => pattern.test(error)), error).toBe(true)
            // The refusal names the session that changed the file: always another one of ours.
            const by = /\(by session (\S+) at /.exec(error)?.[1]
            expect(sessions.filter((other) => other !== session)).toContain(by)
          }
          const input = part.state.input as { filePath: string; oldString?: string; newString?: string; content?: string }
          // The edit's own marker: the line before the new `version:` line (a write's content also holds
          // the markers of the edits before it).
          const found = MARKER.exec((part.tool === "edit" ? input.newString! : input.content!).split("\n").at(-3)!)!
          expect(found, JSON.stringify(input)).not.toBeNull()
          expect(Number(found[1])).toBe(worker)
          attempts.push({ session, worker, tool: part.tool, file: input.filePath, part, marker: found[0], round: Number(found[2]), from: Number(found[4]) })
        }
      }
    }
    const accepted = attempts.filter((attempt) => attempt.part.state.status === "completed")
    const refused = attempts.filter((attempt) => attempt.part.state.status === "error")

    // The persisted parts agree with what the models were told.
    expect(attempts).toHaveLength(logs.reduce((sum, log) => sum + log.attempts, 0))
    expect(refused).toHaveLength(logs.reduce((sum, log) => sum + log.refused, 0))
    // Every worker's every edit landed exactly once (refused ones were retried until they did).
    expect(accepted.map((attempt) => `${attempt.worker}/${attempt.round}`).sort()).toEqual(
      Array.from({ length: WORKERS * ROUNDS }, (_, index) => `${Math.floor(index / ROUNDS)}/${index % ROUNDS}`).sort(),
    )
    // The race really happened: in every round, one of the two writers of each shared file was refused.
    expect(refused.length).toBeGreaterThanOrEqual(3 * ROUNDS)
    expect(refused.filter((attempt) => attempt.tool === "write").length).toBeGreaterThanOrEqual(ROUNDS)
    expect(refused.filter((attempt) => attempt.tool === "edit").length).toBeGreaterThanOrEqual(2 * ROUNDS)

    const finals = new Map<string, string>()
    for (let file = 0; file < FILES; file++) {
      const name = fileName(file)
      const final = readFileSync(join(spool.repo, name), "utf8")
      finals.set(name, final)

      // Replay order: by the version each accepted edit was made from — a complete chain 0, 1, …, k-1.
      const chain = accepted.filter((attempt) => attempt.file === name).sort((a, b) => a.from - b.from)
      expect(chain.map((attempt) => attempt.from), name).toEqual(chain.map((_, index) => index))
      const planned = Array.from({ length: WORKERS * ROUNDS }, (_, index) => targetFile(Math.floor(index / ROUNDS), index % ROUNDS))
      expect(chain).toHaveLength(planned.filter((target) => target === file).length)
      let replay = original(file)
      for (const attempt of chain) {
        const input = attempt.part.state.input as { oldString?: string; newString?: string; content?: string }
        if (attempt.tool === "write") {
          // A whole-file write keeps everything the file held before it, footer aside.
          const kept = replay.slice(0, -`version: ${attempt.from}\n`.length)
          expect(input.content!.startsWith(kept), `${attempt.marker} keeps the edits before it`).toBe(true)
          replay = input.content!
        } else {
          expect(input.oldString).toBe(`version: ${attempt.from}\n`)
          expect(replay.split(input.oldString!).length - 1, `${attempt.marker} applies exactly once`).toBe(1)
          replay = replay.replace(input.oldString!, () => input.newString!)
        }
      }
      expect(final, `${name} is the replay of its accepted edits`).toBe(replay)
      expect(final.endsWith(`version: ${chain.length}\n`)).toBe(true)

      // The tools finished in the chain's order (a file's writes are serialised by its lock).
      const ends = chain.map((attempt) => (attempt.part.state as { time: { end: number } }).time.end)
      expect(ends, `${name}: time.end follows the chain`).toEqual([...ends].sort((a, b) => a - b))

      // The guard's last-writer sidecar names the chain's last writer and the final bytes.
      const real = realpathSync(join(spool.repo, name))
      const sidecar = JSON.parse(readFileSync(join(spool.dataDir, "locks", `${sha1(real)}.json`), "utf8"))
      expect(sidecar).toMatchObject({ path: real, lastWriter: { sessionID: chain.at(-1)!.session, pid: process.pid, hash: sha256(final) } })
    }

    // No silent loss: every accepted marker is in its file exactly once; no refused marker is anywhere.
    for (const attempt of accepted) expect(finals.get(attempt.file)!.split(`${attempt.marker}\n`).length - 1, attempt.marker).toBe(1)
    const everything = [...finals.values()].join("")
    for (const attempt of refused) expect(everything).not.toContain(attempt.marker)

    const stats = {
      attempted: attempts.length,
      landed: accepted.length,
      refused: refused.length,
      refusedMustRead: refused.filter((attempt) => /You must read/.test((attempt.part.state as { error: string }).error)).length,
      viaWrite: attempts.filter((attempt) => attempt.tool === "write").length,
      rereads: logs.reduce((sum, log) => sum + log.rereads, 0),
      maxAttempts: Math.max(...accepted.map((attempt) => Number(MARKER.exec(attempt.marker)![3]))),
      requests: llm.requests.length,
      elapsedMs: elapsed,
    }
    if (process.env.SPOOL_TEST_STATS) console.log("concurrent edits:", JSON.stringify(stats))
  })
})

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex")
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex")
}
