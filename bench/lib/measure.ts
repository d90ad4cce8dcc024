/**
 * Runs a command to completion and measures it: wall time, and peak memory of its whole process tree
 * (the command and every descendant), polled from `/proc/<pid>/status` every `intervalMs`:
 * - `peakHwmMiB`: the largest `VmHWM` (peak RSS as the kernel tracks it) of any process in the tree.
 *   `VmHWM` only grows, so polling misses at most the last `intervalMs` of a process's life;
 * - `peakTreeRssMiB`: the largest sum of `VmRSS` over the tree at one poll (a wrapper such as ccusage's
 *   Node shim around its native binary counts here);
 * - `maxRssMiB` from GNU time (`/usr/bin/time -f %M`), when installed: the kernel's `ru_maxrss` of the
 *   largest descendant, exact even for processes shorter than one poll.
 * `peakMiB` is the largest of those. `samples` is the tree's RSS over time (downsampled for the report).
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

export interface Measured {
  command: string
  exitCode: number | null
  signal: string | null
  wallMs: number
  peakMiB: number
  peakHwmMiB: number
  peakTreeRssMiB: number
  maxRssMiB?: number
  /** [ms since spawn, tree RSS MiB], at most ~200 points. */
  samples: Array<[number, number]>
  stdout: string
  stderr: string
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  intervalMs?: number
  /** Wrap in GNU time for an exact max RSS when `/usr/bin/time` exists (default true). */
  gnuTime?: boolean
}

const GNU_TIME = "/usr/bin/time"

function status(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8")
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) / 1024
    return { rss: field("VmRSS"), hwm: field("VmHWM") }
  } catch {
    return undefined
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim()
      if (text) for (const child of text.split(/\s+/)) out.push(Number(child))
    }
  } catch {
    // gone, or no `children` files (kernel without CONFIG_PROC_CHILDREN): the root alone is polled
  }
  return out
}

function tree(root: number): number[] {
  const pids = [root]
  for (let index = 0; index < pids.length && pids.length < 256; index++) pids.push(...childrenOf(pids[index]))
  return pids
}

export async function measure(command: string, args: string[], options: MeasureOptions = {}): Promise<Measured> {
  const useTime = (options.gnuTime ?? true) && existsSync(GNU_TIME)
  const scratch = useTime ? mkdtempSync(join(tmpdir(), "spool-bench-time-")) : undefined
  const timeFile = scratch ? join(scratch, "time.txt") : undefined
  const [file, argv] = timeFile ? [GNU_TIME, ["-f", "%M", "-o", timeFile, command, ...args]] : [command, args]
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  const raw: Array<[number, number]> = []
  let peakHwm = 0
  let peakTree = 0
  const began = performance.now()
  const child = spawn(file, argv, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] })
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
  const poll = () => {
    if (child.pid === undefined) return
    let sum = 0
    for (const pid of tree(child.pid)) {
      const info = status(pid)
      if (!info) continue
      sum += info.rss
      peakHwm = Math.max(peakHwm, info.hwm)
    }
    peakTree = Math.max(peakTree, sum)
    if (sum > 0) raw.push([Math.round(performance.now() - began), Math.round(sum)])
  }
  const timer = setInterval(poll, options.intervalMs ?? 50)
  poll()
  const [exitCode, signal, wallMs] = await new Promise<[number | null, string | null, number]>((resolveExit, reject) => {
    child.once("error", reject)
    child.once("exit", (code, sig) => resolveExit([code, sig, performance.now() - began]))
  })
  clearInterval(timer)
  await new Promise<void>((resolveClose) => (child.stdout.readableEnded ? resolveClose() : child.stdout.once("close", () => resolveClose())))
  let maxRss: number | undefined
  if (timeFile && existsSync(timeFile)) {
    const kb = Number(/^(\d+)\s*$/m.exec(readFileSync(timeFile, "utf8"))?.[1])
    if (Number.isFinite(kb) && kb > 0) maxRss = kb / 1024
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  const step = Math.max(1, Math.ceil(raw.length / 200))
  return {
    command: [command, ...args].join(" "),
    exitCode,
    signal,
    wallMs,
    peakMiB: Math.max(peakHwm, peakTree, maxRss ?? 0),
    peakHwmMiB: peakHwm,
    peakTreeRssMiB: peakTree,
    maxRssMiB: maxRss,
    samples: raw.filter((_, index) => index % step === 0 || index === raw.length - 1),
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  }
}
