/**
 * Snapshot benchmarks (issue 3), in-process on real git:
 *  1. snapshot time per step on a generated repository of 10,000 files / 200 MB with 5 files changed
 *     per step (p50 over the steps), and the same change measured with `git add -A && git write-tree`
 *     run directly on a copy of the repository (the physical floor: what git itself needs);
 *  2. revert time of a 100-file turn: a real agent turn (through the fake LLM) writes 100 files, then
 *     `reverter.revert` restores them (p50 over a few revert/unrevert rounds);
 *  3. snapshot store growth over 100 steps of 5 changed files each (bytes per step).
 *
 *   node bench/snapshot.ts [--quick]     (also run by `npm run bench`)
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { percentile } from "./lib/stats.ts"
import { parseArgs } from "node:util"
import { randomBytes } from "node:crypto"
import { createApp } from "../src/app.ts"
import { directorySize, Snapshot } from "../src/snapshot/index.ts"
import { createLogger } from "../src/util/log.ts"
import { startFakeLLM } from "../test/fixture/fake-llm.ts"

export interface SnapshotBenchResult {
  files: number
  bytes: number
  stepP50Ms: number
  floorP50Ms: number
  ratio: number
  revert100P50Ms: number
  growthBytesPerStep: number
  growthSteps: number
}


function git(cwd: string, ...args: string[]) {
  return execFileSync("git", ["-c", "user.email=bench@spool", "-c", "user.name=bench", ...args], { cwd, maxBuffer: 1024 * 1024 * 1024 })
}

/** A repository of `files` files of `size` bytes each (random, so nothing compresses), in 100 folders. */
function generateRepo(files: number, size: number): string {
  const dir = mkdtempSync(join(tmpdir(), "spool-bench-repo-"))
  for (let index = 0; index < files; index++) {
    const folder = join(dir, `d${index % 100}`)
    if (index < 100) mkdirSync(folder)
    writeFileSync(join(folder, `f${index}.txt`), randomBytes(size / 2).toString("hex"))
  }
  git(dir, "init", "-q")
  git(dir, "add", "-A")
  git(dir, "commit", "-q", "-m", "generated")
  return dir
}

function touch(dir: string, files: number, step: number, count = 5) {
  for (let index = 0; index < count; index++) {
    const file = (step * 7919 + index * 104729) % files
    writeFileSync(join(dir, `d${file % 100}`, `f${file}.txt`), `step ${step}\n` + randomBytes(8192).toString("hex"))
  }
}

export async function snapshotBench(options: { quick?: boolean } = {}): Promise<SnapshotBenchResult> {
  const files = options.quick ? 2000 : 10_000
  const size = 20_000
  const steps = options.quick ? 10 : 30
  const repo = generateRepo(files, size)
  const copy = mkdtempSync(join(tmpdir(), "spool-bench-copy-"))
  cpSync(repo, copy, { recursive: true })
  const dataDir = mkdtempSync(join(tmpdir(), "spool-bench-data-"))
  try {
    // 1. Spool's snapshot per step vs git's own floor on a copy.
    const snapshot = new Snapshot({ dataDir, projectID: "bench", workTree: repo })
    await snapshot.track() // first track seeds the private index from the user's
    git(copy, "add", "-A")
    git(copy, "write-tree")
    const ours: number[] = []
    const floor: number[] = []
    for (let step = 0; step < steps; step++) {
      touch(repo, files, step)
      let start = performance.now()
      await snapshot.track()
      ours.push(performance.now() - start)
      touch(copy, files, step)
      start = performance.now()
      git(copy, "add", "-A")
      git(copy, "write-tree")
      floor.push(performance.now() - start)
    }

    // 3. Store growth over 100 steps of 5 changed files.
    const growthSteps = options.quick ? 20 : 100
    const before = await directorySize(snapshot.gitDir)
    for (let step = 0; step < growthSteps; step++) {
      touch(repo, files, 10_000 + step)
      await snapshot.track()
    }
    const after = await directorySize(snapshot.gitDir)

    // 2. Revert of a 100-file turn through the real session machinery.
    const revert100P50Ms = await revertBench(options.quick ? 3 : 5)

    return {
      files,
      bytes: files * size,
      stepP50Ms: percentile(ours, 50),
      floorP50Ms: percentile(floor, 50),
      ratio: percentile(ours, 50) / percentile(floor, 50),
      revert100P50Ms,
      growthBytesPerStep: (after - before) / growthSteps,
      growthSteps,
    }
  } finally {
    for (const dir of [repo, copy, dataDir]) rmSync(dir, { recursive: true, force: true })
  }
}

async function revertBench(rounds: number): Promise<number> {
  const llm = await startFakeLLM()
  const repo = mkdtempSync(join(tmpdir(), "spool-bench-revert-"))
  const dataDir = mkdtempSync(join(tmpdir(), "spool-bench-data-"))
  writeFileSync(join(repo, "README.md"), "bench\n")
  git(repo, "init", "-q")
  git(repo, "add", "-A")
  git(repo, "commit", "-q", "-m", "init")
  const app = await createApp({
    dataDir,
    cwd: repo,
    model: "anthropic/claude-sonnet-4-5",
    env: { ...process.env, ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: llm.anthropicBaseURL, XDG_CONFIG_HOME: dataDir },
    log: createLogger("silent"),
  })
  try {
    const session = await app.sessions.create({ directory: repo })
    llm.script(
      { toolCalls: Array.from({ length: 100 }, (_, index) => ({ name: "write", input: { filePath: `out/file${index}.txt`, content: `generated ${index}\n`.repeat(50) } })) },
      { text: "wrote 100 files" },
    )
    await app.prompts.prompt(session.id, { parts: [{ type: "text", text: "write 100 files" }] })
    const { items } = await app.sessions.messages(session.id, {})
    const user = items[0].info.id
    const times: number[] = []
    for (let round = 0; round < rounds; round++) {
      const start = performance.now()
      const reverted = await app.reverter.revert(session.id, { messageID: user })
      times.push(performance.now() - start)
      if (reverted.revert?.files?.length !== 100) throw new Error(`expected 100 reverted files, got ${reverted.revert?.files?.length}`)
      await app.reverter.unrevert(session.id)
    }
    return percentile(times, 50)
  } finally {
    await app.close()
    await llm.close()
    rmSync(repo, { recursive: true, force: true })
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } })
  const result = await snapshotBench({ quick: values.quick })
  console.log(JSON.stringify(result, null, 2))
}
