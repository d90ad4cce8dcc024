import { readFileSync, readdirSync } from "node:fs"

/**
 * A process as it can be recognised again later, also by another Spool process after a crash: its pid
 * plus its start time, so that a pid the kernel has since given to an unrelated process never matches.
 */
export interface ProcessIdentity {
  pid: number
  /** Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot (Linux). */
  startTime: number
}

/**
 * `/proc/<pid>/stat` split after the command name (which may itself contain spaces and parentheses):
 * element 0 is field 3 (`state`), so field N is element N - 3. Undefined when the process is gone or
 * there is no `/proc` (not Linux).
 */
function statFields(pid: number): string[] | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return undefined
  }
  return text.slice(text.lastIndexOf(")") + 2).split(" ")
}

/**
 * The start time of `pid` (field 22 of `/proc/<pid>/stat`, clock ticks since boot), or undefined when the
 * process does not exist or `/proc` is unavailable. Never throws.
 */
export function processStartTime(pid: number): number | undefined {
  const fields = statFields(pid)
  const value = fields ? Number(fields[22 - 3]) : NaN
  return Number.isFinite(value) ? value : undefined
}

/** The identity of this process (start time undefined without `/proc`). */
export function currentProcess(): { pid: number; startTime: number | undefined } {
  return { pid: process.pid, startTime: processStartTime(process.pid) }
}

/**
 * Whether the process `identity` names still runs: the pid exists, is not a zombie, and (when `/proc`
 * can tell) started at `identity.startTime`. A recycled pid is therefore "not alive". Without `/proc`
 * falls back to `kill(pid, 0)` (pid recycling undetectable there). Never throws.
 */
export function isAlive(identity: { pid: number; startTime?: number }): boolean {
  const fields = statFields(identity.pid)
  if (fields) {
    if (fields[0] === "Z" || fields[0] === "X") return false
    return identity.startTime === undefined || Number(fields[22 - 3]) === identity.startTime
  }
  if (hasProc()) return false
  try {
    process.kill(identity.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * SIGKILLs the process group whose leader is `leader` — but only when that leader still runs with the
 * recorded start time, so a group id that now belongs to someone else is never signalled. (While any
 * member of a group lives, Linux does not hand its id to a new process, so a matching leader means the
 * group is the one recorded.) Returns true when the group was signalled. Linux only: without `/proc` the
 * start time cannot be checked and nothing is killed. Never throws.
 */
export function killProcessGroup(leader: ProcessIdentity): boolean {
  if (!hasProc()) return false
  if (!isAlive(leader)) return false
  try {
    process.kill(-leader.pid, "SIGKILL")
    return true
  } catch {
    return false
  }
}

/** Pids of the live (non-zombie) processes whose process group is `pgid` (Linux; [] without `/proc`). */
export function groupMembers(pgid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync("/proc")
  } catch {
    return []
  }
  const members: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const fields = statFields(Number(entry))
    if (fields && fields[0] !== "Z" && fields[0] !== "X" && Number(fields[5 - 3]) === pgid) members.push(Number(entry))
  }
  return members
}

let procChecked: boolean | undefined
function hasProc(): boolean {
  procChecked ??= statFields(process.pid) !== undefined
  return procChecked
}
