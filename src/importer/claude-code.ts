import { existsSync } from "node:fs"
import { basename } from "node:path"
import { stableId } from "./ids.ts"
import { readJsonLines } from "./lines.ts"
import type { ImportItem, Parser } from "./types.ts"
import { SessionBuilder } from "./claude-code/builder.ts"
import { agentIdOf, agentMeta, groupFiles, identify, listFiles, parentFileOf, type FileGroup } from "./claude-code/files.ts"
import { finishSession, type SessionLink } from "./claude-code/finish.ts"
import { UsageLedger } from "./claude-code/ledger.ts"
import { linkChildren, type ChildSession } from "./claude-code/link.ts"
import { isObject, isSidechainLine, parseTime, text, type Json } from "./claude-code/records.ts"

/** A progress item at least every this many lines of a file. */
const PROGRESS_LINES = 2000

/**
 * Imports Claude Code transcripts (spec `transcript-formats.md` section 1). `path` is one `.jsonl` file
 * or a directory — a `~/.claude/projects` tree or one project folder — searched recursively for
 * `*.jsonl`, sub-agent files (`<session>/subagents/*.jsonl`, flat `agent-*.jsonl`) included.
 *
 * Yields one session per Claude Code session file, then its sub-agent sessions as children
 * (`parentID`): inline `isSidechain` runs grouped by their root line (or `agentId`) and sub-agent
 * files, each linked to the spawning Task/Agent call (`state.metadata.sessionId`). Messages, parts and
 * titles follow `SessionBuilder` / `finishSession`; usage is deduplicated across all files of the
 * call by `message.id + requestId` (`UsageLedger`). A line that is not JSON or cannot be interpreted is
 * a `problem` with its line number and is skipped; a file with no conversation (e.g. only `summary`
 * records) is a whole-file problem. Files are read in sorted order, so the output is deterministic.
 */
export const parseClaudeCode: Parser = async function* parseClaudeCode(path: string): AsyncGenerator<ImportItem> {
  let files: string[]
  try {
    files = await listFiles(path)
  } catch (error) {
    yield { type: "problem", problem: { path, message: `cannot read: ${(error as Error).message}` } }
    return
  }
  const ledger = new UsageLedger()
  const sources = new Set<string>()
  for (const group of await groupFiles(files)) yield* parseGroup(group, ledger, sources)
}

async function* parseGroup(group: FileGroup, ledger: UsageLedger, sources: Set<string>): AsyncGenerator<ImportItem> {
  const identity = await identify(group.path, group.agentFile)
  const main = new SessionBuilder({ sourceID: unique(identity.sourceID, group.path, sources), created: identity.created, path: group.path, ledger, child: group.agentFile })
  const sidechains = new Map<string, ChildSession>()
  const rootOf = new Map<string, string>()
  const route = (record: Json, line: number): string | undefined => {
    if (!isSidechainLine(record, group.agentFile)) return main.add(record, line)
    // Inline sidechain (spec 1.10 layout 1): a run is the chain of lines under one root line.
    const uuid = text(record.uuid)
    const agentId = text(record.agentId)
    const parent = text(record.parentUuid)
    const key = agentId ? `agent-${agentId}` : ((parent && rootOf.get(parent)) ?? `sidechain-${uuid ?? `line${line}`}`)
    if (uuid) rootOf.set(uuid, key)
    let child = sidechains.get(key)
    if (!child) {
      const created = parseTime(record.timestamp) ?? main.facts.lastTime
      const sourceID = unique(`${main.init.sourceID}:${key}`, group.path, sources)
      child = { builder: new SessionBuilder({ sourceID, created, path: group.path, ledger, child: true }), agentId }
      sidechains.set(key, child)
    }
    return child.builder.add(record, line)
  }
  if (!(yield* readFile(group.path, route))) return

  const children: ChildSession[] = [...sidechains.values()]
  for (const path of group.children) {
    const childIdentity = await identify(path, true)
    const builder = new SessionBuilder({ sourceID: unique(childIdentity.sourceID, path, sources), created: childIdentity.created, path, ledger, child: true })
    if (!(yield* readFile(path, (record, line) => builder.add(record, line)))) continue
    children.push({ builder, agentId: builder.facts.agentId ?? agentIdOf(path), meta: await agentMeta(path) })
  }

  const live = children.filter((child) => child.builder.messages.length > 0)
  for (const child of children) if (!live.includes(child)) yield empty(child.builder)
  if (main.messages.length === 0 && live.length === 0) {
    yield empty(main)
    return
  }
  const links = linkChildren(main, live)
  const mainLink: SessionLink = { ...links.parent, ...(group.agentFile ? await standaloneParent(group.path) : {}) }
  yield { type: "session", session: finishSession(main, mainLink) }
  for (const child of live) yield { type: "session", session: finishSession(child.builder, links.children.get(child)) }
}

/**
 * Streams one file into `handle`, yielding problems (with line numbers) and progress. Returns false
 * when the file could not be read at all.
 */
async function* readFile(path: string, handle: (record: Json, line: number) => string | undefined): AsyncGenerator<ImportItem, boolean> {
  let last: { bytes: number; total: number } | undefined
  try {
    for await (const line of readJsonLines(path)) {
      last = line
      if (line.error !== undefined) yield { type: "problem", problem: { path, line: line.line, message: line.error } }
      else if (!isObject(line.value)) yield { type: "problem", problem: { path, line: line.line, message: "not a JSON object" } }
      else {
        const problem = handle(line.value, line.line)
        if (problem) yield { type: "problem", problem: { path, line: line.line, message: problem } }
      }
      if (line.line % PROGRESS_LINES === 0) yield { type: "progress", path, bytes: line.bytes, total: line.total }
    }
  } catch (error) {
    yield { type: "problem", problem: { path, message: `cannot read: ${(error as Error).message}` } }
    return false
  }
  if (last) yield { type: "progress", path, bytes: Math.min(last.bytes, last.total), total: last.total }
  return true
}

function empty(builder: SessionBuilder): ImportItem {
  return { type: "problem", problem: { path: builder.init.path, message: `no conversation for ${builder.init.sourceID} (only bookkeeping records); skipped` } }
}

/** A source id not used yet in this parse (two files claiming one session id get the file name appended). */
function unique(sourceID: string, path: string, sources: Set<string>): string {
  let candidate = sourceID
  for (let index = 2; sources.has(candidate); index++) candidate = `${sourceID}@${basename(path)}${index > 2 ? `#${index}` : ""}`
  sources.add(candidate)
  return candidate
}

/**
 * A sub-agent file imported without its parent: its agent from the meta file, and the parent session's
 * ID when the parent file exists next to it (the Task call cannot be linked without parsing the parent).
 */
async function standaloneParent(path: string): Promise<SessionLink> {
  const meta = await agentMeta(path)
  const link: SessionLink = { metadata: meta ? { agentMeta: meta } : {} }
  if (text(meta?.agentType)) link.agent = meta!.agentType as string
  if (text(meta?.description)) link.title = meta!.description as string
  const parentFile = await parentFileOf(path)
  if (!parentFile || !existsSync(parentFile)) return link
  const parent = await identify(parentFile, false)
  link.parentID = stableId("session", `claude-code:${parent.sourceID}`, parent.created)
  link.metadata!.parentSourceID = parent.sourceID
  return link
}
