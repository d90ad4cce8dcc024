import { spawn } from "node:child_process"
import { constants as fsConstants } from "node:fs"
import fs from "node:fs/promises"
import path from "node:path"
import { StringDecoder } from "node:string_decoder"
import { z } from "zod"
import { defineTool } from "./tool.ts"
import { resolveInside } from "./path.ts"
import { bashPermission } from "./bash-permission.ts"
import { MAX_BYTES, MAX_LINES, OutputCollector } from "./truncate.ts"
import { sandboxedArgv } from "./sandbox.ts"
import type { ToolContext } from "./tool.ts"
import { processStartTime } from "../util/process-identity.ts"
import type { Writable } from "node:stream"

export const DEFAULT_TIMEOUT_MS = 2 * 60 * 1000
export const MAX_TIMEOUT_MS = 10 * 60 * 1000
/** Grace period between SIGTERM and SIGKILL of the process group. */
const KILL_GRACE_MS = 200
/** How long to wait for the output pipe to close once the shell has exited (background jobs may hold it). */
const CLOSE_GRACE_MS = 500
/** Cap on `metadata.output` (what clients show), as OpenCode's MAX_METADATA_LENGTH. */
const MAX_METADATA_LENGTH = 30_000
const PUBLISH_INTERVAL_MS = 100

const DESCRIPTION = `Run a shell command in the project directory and return its combined stdout and stderr.

- Commands run with bash (or sh) in the project directory. Use workdir (absolute, or relative to the project directory, and inside it) to run elsewhere instead of "cd dir && ...".
- timeout is in milliseconds: default ${DEFAULT_TIMEOUT_MS} (2 minutes), at most ${MAX_TIMEOUT_MS} (10 minutes). A command that runs longer is killed together with its child processes.
- Standard input is closed: avoid interactive commands (use non-interactive flags such as --yes, and never "git rebase -i").
- If the output exceeds ${MAX_LINES} lines or ${MAX_BYTES} bytes only its start and end are returned; send large output to a file and inspect it with grep or read.
- A non-zero exit status is reported in the output; it does not make the call fail.
- Prefer the dedicated tools over shell equivalents: read (not cat/head/tail), edit (not sed/awk), write (not echo > file), glob (not find/ls), grep (not grep/rg).
- Quote paths that contain spaces. Chain dependent commands with &&; make independent calls in parallel.
- Always give a short description (5-10 words) of what the command does.`

const parameters = z.object({
  command: z.string().describe("The command to execute"),
  timeout: z.number().describe("Optional timeout in milliseconds").optional(),
  workdir: z
    .string()
    .describe("The working directory to run the command in. Defaults to the project directory. Use this instead of 'cd' commands.")
    .optional(),
  description: z
    .string()
    .describe(
      "Clear, concise description of what this command does in 5-10 words. Examples:\nInput: ls\nOutput: Lists files in current directory\n\nInput: git status\nOutput: Shows working tree status\n\nInput: npm install\nOutput: Installs package dependencies",
    ),
})

/**
 * `bash` — runs a command with `bash -c` (falling back to `sh -c`). Mirrors OpenCode
 * `packages/opencode/src/tool/bash.ts` (without its permission prompts / tree-sitter command scan).
 *
 * Input: `{ command, timeout? (ms, default 120000, capped at 600000), workdir?, description }`.
 * The command runs in its own process group with stdin closed and stderr merged into stdout at the fd
 * level (exact interleaving). On timeout or `ctx.abort` the whole group gets SIGTERM, then SIGKILL 200 ms
 * later. The group is reported through `ctx.process` ({pid, pgid, startTime}) and the command starts only
 * once that record is stored (at most 5 s), so crash recovery can kill it after a kill -9 of Spool.
 * With `ctx.sandbox` the command runs under bubblewrap (see `./sandbox.ts`).
 * Output: the combined output; over 2000 lines / 50 KiB the middle is replaced by a `...N lines truncated...`
 * marker. Then, as OpenCode, a `\n\n<bash_metadata>\n...\n</bash_metadata>` block when something notable
 * happened: `bash tool terminated command after exceeding timeout N ms`, `User aborted the command`, and
 * (Spool addition, so the model sees it) `Command exited with code N` / `Command was killed by signal S`.
 * Title: `description`. Metadata: `{ output (first 30000 chars), exit (code, null if killed by a signal),
 * description, truncated }`; progress is published through `ctx.metadata` while the command runs.
 * Errors (thrown): negative timeout; workdir outside the session directory or not a directory; spawn failure;
 * `SandboxUnavailableError` when the sandbox is on but bwrap is missing or cannot create namespaces (the
 * command is then not run).
 * A non-zero exit status is NOT an error.
 */
export const bashTool = defineTool({
  name: "bash",
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    if (args.timeout !== undefined && args.timeout < 0) {
      throw new Error(`Invalid timeout value: ${args.timeout}. Timeout must be a positive number.`)
    }
    const timeout = Math.min(args.timeout ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
    const cwd = args.workdir ? await resolveInside(ctx.directory, args.workdir) : path.resolve(ctx.directory)
    const stat = await fs.stat(cwd).catch(() => undefined)
    if (!stat) throw new Error(`Working directory not found: ${cwd}`)
    if (!stat.isDirectory()) throw new Error(`Working directory is not a directory: ${cwd}`)

    // Permission: one pattern per simple command, `always` = its prefix + " *" (OpenCode's bash tool).
    const permission = bashPermission(args.command)
    if (permission.patterns.length > 0) {
      await ctx.ask({ permission: "bash", patterns: permission.patterns, always: permission.always, metadata: { command: args.command } })
    }

    if (ctx.abort.aborted) return result(args.description, "", null, null, { aborted: true, timedOut: false, timeout }, false)

    const shell = await pickShell()
    const command = [shell, "-c", args.command]
    // Sandbox on: bwrap runs the shell (throws, running nothing, when bwrap cannot work here).
    const argv = ctx.sandbox
      ? await sandboxedArgv(ctx.sandbox, { directory: ctx.directory, cwd, network: ctx.sandbox.network, writable: ctx.sandbox.writable, workTree: ctx.sandbox.workTree }, command)
      : command
    // The outer sh waits on fd 3 until the process group is recorded (`ctx.process`, for crash recovery),
    // then dups stderr onto stdout and execs the command (the shell, or bwrap: same pid, same process
    // group), so the command sees an unmodified `-c` script and we read one pipe in true write order.
    // EOF on fd 3 without the go-ahead (Spool died first) ends it before the command starts.
    const child = spawn("/bin/sh", ["-c", 'IFS= read -r _ <&3 || exit 125; exec "$@" 2>&1 3<&-', "spool-bash", ...argv], {
      cwd,
      env: ctx.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      detached: process.platform !== "win32",
    })
    const gate = child.stdio[3] as Writable
    gate.on("error", () => {}) // the group may be killed before the go-ahead
    void recordGroup(child.pid, ctx)
      .catch(() => {}) // a failed record must not hold the command back, nor be an unhandled rejection
      .finally(() => gate.end("\n"))

    const collector = new OutputCollector()
    const decoder = new StringDecoder("utf8")
    let lastPublish = 0
    const publish = (force: boolean) => {
      const now = Date.now()
      if (!force && now - lastPublish < PUBLISH_INTERVAL_MS) return
      lastPublish = now
      ctx.metadata({ metadata: { output: collector.preview(MAX_METADATA_LENGTH), description: args.description } })
    }
    publish(true)
    const onData = (chunk: Buffer) => {
      collector.append(decoder.write(chunk))
      publish(false)
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("exit", (code, signal) => resolve({ code, signal }))
      child.once("error", reject)
    })
    const closed = Promise.all([
      new Promise<void>((resolve) => child.stdout!.once("close", () => resolve())),
      new Promise<void>((resolve) => child.stderr!.once("close", () => resolve())),
    ])

    let timedOut = false
    let aborted = false
    let killing: Promise<void> | undefined
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        try {
          child.kill(signal)
        } catch {
          // already gone
        }
      }
    }
    const killGroup = () => {
      killing ??= (async () => {
        signalGroup("SIGTERM")
        await sleep(KILL_GRACE_MS)
        // The shell may be gone while children that ignore SIGTERM live on: kill the group regardless.
        signalGroup("SIGKILL")
      })()
      return killing
    }
    const onAbort = () => {
      aborted = true
      void killGroup()
    }
    ctx.abort.addEventListener("abort", onAbort, { once: true })
    const timer = setTimeout(() => {
      timedOut = true
      void killGroup()
    }, timeout)

    let status: { code: number | null; signal: NodeJS.Signals | null }
    try {
      status = await exited
    } finally {
      clearTimeout(timer)
      ctx.abort.removeEventListener("abort", onAbort)
    }
    if (killing) await killing
    let graceTimer: NodeJS.Timeout | undefined
    await Promise.race([closed, new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, CLOSE_GRACE_MS)))])
    clearTimeout(graceTimer)
    child.stdout!.destroy()
    child.stderr!.destroy()
    collector.append(decoder.end())

    const { text, truncated } = collector.finish()
    return result(args.description, text, status.code, status.signal, { aborted, timedOut, timeout }, truncated)
  },
})

function result(
  description: string,
  text: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  state: { aborted: boolean; timedOut: boolean; timeout: number },
  truncated: boolean,
) {
  const notes: string[] = []
  if (state.timedOut) notes.push(`bash tool terminated command after exceeding timeout ${state.timeout} ms`)
  if (state.aborted) notes.push("User aborted the command")
  if (!state.timedOut && !state.aborted) {
    if (code !== null && code !== 0) notes.push(`Command exited with code ${code}`)
    if (code === null && signal) notes.push(`Command was killed by signal ${signal}`)
  }
  let output = text
  if (notes.length > 0) output += `\n\n<bash_metadata>\n${notes.join("\n")}\n</bash_metadata>`
  return {
    title: description,
    output,
    metadata: {
      output: output.length > MAX_METADATA_LENGTH ? output.slice(0, MAX_METADATA_LENGTH) + "\n\n..." : output,
      exit: code,
      description,
      truncated,
    },
  }
}

/** How long the command waits for its process group to be recorded before it runs regardless. */
const RECORD_WAIT_MS = 5_000

/** Tells the session layer which process group the command runs in (crash recovery); never rejects. */
async function recordGroup(pid: number | undefined, ctx: ToolContext): Promise<void> {
  if (pid === undefined || !ctx.process) return
  const startTime = processStartTime(pid)
  if (startTime === undefined) return
  let timer: NodeJS.Timeout | undefined
  const recorded = ctx.process({ pid, pgid: pid, startTime }).catch(() => {})
  await Promise.race([recorded, new Promise<void>((resolve) => (timer = setTimeout(resolve, RECORD_WAIT_MS)))])
  clearTimeout(timer)
}

let shellPath: Promise<string> | undefined
function pickShell(): Promise<string> {
  shellPath ??= fs
    .access("/bin/bash", fsConstants.X_OK)
    .then(() => "/bin/bash")
    .catch(() => "/bin/sh")
  return shellPath
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
