import { existsSync, readFileSync } from "node:fs"

/**
 * Process helpers for the e2e tests that start long shell commands through the `bash` tool.
 *
 * The tool runs each command in its own process group. The tests make the command record its pid
 * (`echo $$ > file && exec sleep …`: the shell execs `sleep`, so the pid is sleep's and also the
 * group's id), which lets them check whether the command still runs and kill exactly that group.
 */

/** The shell command that writes its pid to `pidFile`, then sleeps `seconds`. */
export function sleepCommand(pidFile: string, seconds: number): string {
  return `echo $$ > '${pidFile}' && exec sleep ${seconds}`
}

/** Waits until `pidFile` holds a pid and returns it. */
export async function waitForPid(pidFile: string, timeoutMs = 5_000): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim())
      if (pid > 0) return pid
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`no pid in ${pidFile} after ${timeoutMs} ms`)
}

/** True while `pid` runs (a zombie that nobody reaped yet counts as dead). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3)
    return state !== "Z" && state !== "X"
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && existsSync("/proc/self/stat")) return false
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
}

/** Waits until `pid` has stopped; false on timeout. */
export async function waitForExit(pid: number, timeoutMs = 3_000): Promise<boolean> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    if (!isRunning(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return !isRunning(pid)
}

/** SIGKILLs the process group `pgid` (a test's own leftover command); ignores a group that is gone. */
export function killGroup(pgid: number | undefined): void {
  if (!pgid) return
  try {
    process.kill(-pgid, "SIGKILL")
  } catch {
    // already gone
  }
}
