/**
 * A synthetic `~/.claude/projects` tree for the import benchmark, replicated from genuine Claude Code
 * transcripts (`test/fixtures/transcripts/claude-code`): `<root>/projects/<project-dir>/<uuid>.jsonl`.
 *
 * Every copy of a fixture is a distinct session: each id in it — UUIDs (`sessionId`, `uuid`,
 * `parentUuid`, `leafUuid`, `messageId`, `sourceToolAssistantUUID`, …), `msg_…` (message.id),
 * `req_…` (requestId), `toolu_…` / `srvtoolu_…` (tool call ids) — is replaced by a fresh one,
 * consistently within the copy (a streaming split keeps one `message.id`, a `tool_result` still answers
 * its `tool_use`), so neither Spool's nor ccusage's `message.id + requestId` dedupe collapses copies.
 * Timestamps are shifted per copy (copies spread over ~4 months) and the fixture's `cwd` is replaced by
 * the project's path everywhere in the line.
 *
 * Shape: one huge file (half the target — or `hugeFiles` files sharing that half: one session made of
 * many consecutive exchanges of one fixture, each repetition with fresh ids but the same `sessionId`, its first main-thread line chained to
 * the previous repetition's last one), two large ones (5 % each, same construction, with inline
 * sidechains), and many small ones (one fixture copy per file) round-robin over the projects until the
 * target size is reached. Deterministic for a given seed.
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs"
import { basename, join } from "node:path"

/** One fixture transcript, read once. */
export interface Fixture {
  name: string
  lines: string[]
  bytes: number
  /** The `cwd` values in it (replaced by the project path). */
  cwds: string[]
  sessionId: string
  /** First and last timestamp (epoch ms). */
  start: number
  end: number
  /** `uuid` of the last main-thread (non-sidechain) line: the next repetition's first line chains to it. */
  lastMainUuid?: string
}

export interface TreeOptions {
  /** The Claude config dir to create (`CLAUDE_CONFIG_DIR`); files go to `<root>/projects/…`. */
  root: string
  targetBytes: number
  fixtures: Fixture[]
  /** Fixture name used for the huge single-session file (default: the one with most lines). */
  huge?: string
  /** Fixture name used for the two large files (default: the largest in bytes). */
  large?: string
  projects?: number
  seed?: number
  /** Split the huge half into this many session files (default 1: one session of half the target). */
  hugeFiles?: number
}

export interface TreeFile {
  path: string
  project: string
  fixture: string
  /** How many repetitions of the fixture the file holds. */
  reps: number
  bytes: number
  records: number
}

export interface TreeStats {
  root: string
  projectsDir: string
  projects: number
  files: number
  bytes: number
  /** Non-empty JSONL lines. */
  records: number
  /** Repetitions of each fixture over the whole tree (for the expected totals). */
  repsByFixture: Record<string, number>
  largest: TreeFile[]
  /** Files by size class. */
  classes: { huge: number; large: number; small: number; smallBytes: number }
  generateMs: number
}

const ID_OR_TIME = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b(?:msg|req|toolu|srvtoolu)_[A-Za-z0-9]+|\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z/g
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const DAY = 86_400_000

/** Reads fixture transcripts (non-empty lines; each must be JSON). */
export function loadFixtures(paths: string[]): Fixture[] {
  return paths.map((path) => {
    const text = readFileSync(path, "utf8")
    const lines = text.split("\n").filter((line) => line.trim() !== "")
    const cwds = new Set<string>()
    let sessionId = ""
    let start = Number.POSITIVE_INFINITY
    let end = Number.NEGATIVE_INFINITY
    let lastMainUuid: string | undefined
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>
      if (typeof record.cwd === "string" && record.cwd) cwds.add(record.cwd)
      if (!sessionId && typeof record.sessionId === "string") sessionId = record.sessionId
      const time = typeof record.timestamp === "string" ? Date.parse(record.timestamp) : Number.NaN
      if (Number.isFinite(time)) {
        start = Math.min(start, time)
        end = Math.max(end, time)
      }
      if (typeof record.uuid === "string" && record.isSidechain !== true) lastMainUuid = record.uuid
    }
    // Longest first, so a cwd that is a prefix of another is not replaced inside it.
    const sorted = [...cwds].sort((a, b) => b.length - a.length)
    return { name: basename(path, ".jsonl"), lines, bytes: Buffer.byteLength(text), cwds: sorted, sessionId, start, end, lastMainUuid }
  })
}

/** mulberry32: a small seeded PRNG, so the tree is the same on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Ids {
  private readonly random: () => number
  constructor(seed: number) {
    this.random = rng(seed)
  }
  hex(length: number): string {
    let out = ""
    for (let index = 0; index < length; index++) out += "0123456789abcdef"[Math.floor(this.random() * 16)]
    return out
  }
  uuid(): string {
    const h = this.hex(32)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${"89ab"[Math.floor(this.random() * 4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`
  }
  /** Same prefix and length as `original` (`msg_01…`, `req_011…`, `toolu_01…`), fresh tail. */
  like(original: string): string {
    const cut = original.indexOf("_") + 1
    const keep = original.slice(0, Math.min(original.length, cut + 2))
    let out = keep
    while (out.length < original.length) out += BASE62[Math.floor(this.random() * 62)]
    return out
  }
  int(below: number): number {
    return Math.floor(this.random() * below)
  }
}

/**
 * One repetition of a fixture: every id replaced through `ids` (fresh for a new key), timestamps moved
 * by `shiftMs`, the fixture's cwds replaced by `cwd`; with `chainTo`, the first main-thread root line
 * (`"parentUuid":null`) points at that uuid instead (continuing a session).
 */
function copyLines(fixture: Fixture, map: Map<string, string>, fresh: Ids, shiftMs: number, cwd: string, chainTo?: string): string[] {
  let chained = chainTo === undefined
  return fixture.lines.map((line) => {
    let out = line
    for (const from of fixture.cwds) if (out.includes(from)) out = out.split(from).join(cwd)
    if (!chained && out.includes('"parentUuid":null') && out.includes('"isSidechain":false')) {
      out = out.replace('"parentUuid":null', `"parentUuid":${JSON.stringify(chainTo)}`)
      chained = true
    }
    return out.replace(ID_OR_TIME, (match) => {
      if (match.length >= 20 && match[4] === "-" && match[10] === "T") return new Date(Date.parse(match) + shiftMs).toISOString()
      let replacement = map.get(match)
      if (replacement === undefined) {
        replacement = match.includes("_") ? fresh.like(match) : fresh.uuid()
        map.set(match, replacement)
      }
      return replacement
    })
  })
}

/** Buffered writer of one JSONL file. */
class JsonlWriter {
  private readonly fd: number
  private chunks: string[] = []
  private pending = 0
  bytes = 0
  records = 0
  constructor(path: string) {
    this.fd = openSync(path, "w")
  }
  add(lines: string[]) {
    for (const line of lines) {
      this.chunks.push(line, "\n")
      const size = Buffer.byteLength(line) + 1
      this.pending += size
      this.bytes += size
      this.records++
    }
    if (this.pending > 4 << 20) this.flush()
  }
  private flush() {
    if (this.chunks.length > 0) writeSync(this.fd, this.chunks.join(""))
    this.chunks = []
    this.pending = 0
  }
  close() {
    this.flush()
    closeSync(this.fd)
  }
}

/**
 * Writes one session file `<dir>/<fresh uuid>.jsonl` of at least one and as many repetitions of
 * `fixture` as it takes to reach `bytes`, timestamps moved by `dayOffset` days (+ one fixture span per
 * repetition).
 */
function writeSession(fixture: Fixture, dir: string, cwd: string, bytes: number, dayOffset: number, fresh: Ids): Omit<TreeFile, "project"> {
  const sessionId = fresh.uuid()
  const path = join(dir, `${sessionId}.jsonl`)
  const writer = new JsonlWriter(path)
  const span = Math.max(0, fixture.end - fixture.start) + 60_000
  let reps = 0
  let chainTo: string | undefined
  do {
    const map = new Map<string, string>([[fixture.sessionId, sessionId]])
    writer.add(copyLines(fixture, map, fresh, dayOffset * DAY + reps * span, cwd, chainTo))
    chainTo = fixture.lastMainUuid ? map.get(fixture.lastMainUuid) : undefined
    reps++
  } while (writer.bytes < bytes)
  writer.close()
  return { path, fixture: fixture.name, reps, bytes: writer.bytes, records: writer.records }
}

/**
 * A tree with ONE session file of about `bytes` (consecutive repetitions of `fixture`, as the huge file
 * of `generateTree`): for measuring how peak memory follows the size of the largest session.
 */
export function generateSingleSession(options: { root: string; fixture: Fixture; bytes: number; seed?: number }): TreeFile {
  const fresh = new Ids(options.seed ?? 7)
  const dir = join(options.root, "projects", "-home-bench-single")
  mkdirSync(dir, { recursive: true })
  return { ...writeSession(options.fixture, dir, "/home/bench/single", options.bytes, 0, fresh), project: "/home/bench/single" }
}

/** Generates the tree (see the module comment) and returns what it holds. */
export function generateTree(options: TreeOptions): TreeStats {
  const began = performance.now()
  const projects = options.projects ?? 20
  const fresh = new Ids(options.seed ?? 20_260_101)
  const byName = new Map(options.fixtures.map((fixture) => [fixture.name, fixture]))
  const huge = byName.get(options.huge ?? "") ?? [...options.fixtures].sort((a, b) => b.lines.length - a.lines.length)[0]
  const large = byName.get(options.large ?? "") ?? [...options.fixtures].sort((a, b) => b.bytes - a.bytes)[0]
  const projectsDir = join(options.root, "projects")
  const projectPath = (index: number) => `/home/bench/proj-${String(index).padStart(2, "0")}`
  const projectDir = (index: number) => join(projectsDir, projectPath(index).replaceAll("/", "-"))
  for (let index = 0; index < projects; index++) mkdirSync(projectDir(index), { recursive: true })

  const files: TreeFile[] = []
  const repsByFixture: Record<string, number> = {}
  let total = 0

  /** One session file of `reps` consecutive repetitions (reps ≥ 1) until `bytes` is reached. */
  const sessionFile = (fixture: Fixture, project: number, bytes: number, dayOffset: number): TreeFile => {
    const file = { ...writeSession(fixture, projectDir(project), projectPath(project), bytes, dayOffset, fresh), project: projectPath(project) }
    repsByFixture[fixture.name] = (repsByFixture[fixture.name] ?? 0) + file.reps
    total += file.bytes
    files.push(file)
    return file
  }

  const hugeFiles = Math.max(1, options.hugeFiles ?? 1)
  for (let index = 0; index < hugeFiles; index++) sessionFile(huge, 0, (options.targetBytes * 0.5) / hugeFiles, index * 3)
  sessionFile(large, 1 % projects, options.targetBytes * 0.05, 7)
  sessionFile(large, 2 % projects, options.targetBytes * 0.05, 30)
  const big = files.length
  let smallBytes = 0
  for (let index = 0; total < options.targetBytes; index++) {
    const fixture = options.fixtures[index % options.fixtures.length]
    // Spread over ~4 months and the hours of a day (so daily groups and the sessions' order differ).
    const file = sessionFile(fixture, index % projects, 0, (index % 120) + fresh.int(24) / 24)
    smallBytes += file.bytes
  }
  return {
    root: options.root,
    projectsDir,
    projects,
    files: files.length,
    bytes: total,
    records: files.reduce((sum, file) => sum + file.records, 0),
    repsByFixture,
    largest: [...files].sort((a, b) => b.bytes - a.bytes).slice(0, 3),
    classes: { huge: hugeFiles, large: big - hugeFiles, small: files.length - big, smallBytes },
    generateMs: performance.now() - began,
  }
}
