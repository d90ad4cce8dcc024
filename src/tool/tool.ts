import type { z } from "zod"

/**
 * What a tool may rely on while it runs. Built by the session runner for each tool call.
 *
 * Contract:
 * - `directory` is the absolute session directory; every path a tool touches must resolve inside it
 *   (see `resolveInside` in `./path.ts`), otherwise the tool throws and the call ends as a tool error.
 * - `abort` fires when the user aborts the turn; long-running tools must stop promptly.
 * - `metadata()` publishes progress (title, metadata) for the running tool part; it never throws.
 */
export interface ToolContext {
  sessionID: string
  messageID: string
  callID: string
  /** Absolute path of the session's working directory; the confinement root. */
  directory: string
  abort: AbortSignal
  metadata(update: { title?: string; metadata?: Record<string, unknown> }): void
  /** The session's todo list (todowrite/todoread). */
  todos: TodoStore
  /** Stale-write protection and per-file write locks; absent in contexts that do not need it. */
  files?: FileGuard
  /**
   * Asks the session's permission rules before the tool acts (OpenCode's `ctx.ask`). Resolves when the
   * action is allowed (by a rule, or by the user's `once`/`always` reply); rejects with an `Error` whose
   * message tells the model what happened (denied by a rule, rejected by the user, aborted) — the tool
   * lets it propagate, so the call ends as a tool error and the turn goes on.
   */
  ask(request: PermissionRequest): Promise<void>
  /**
   * The environment shell commands run in (the `bash` tool): the user's, without what Spool's launch
   * added (its `node_modules/.bin` on `PATH`, `npm_*`) and without Spool's secrets (see
   * `shellEnvironment` in `./shell-env.ts`). Absent: the process environment as it is.
   */
  env?: Record<string, string>
  /** Set when the `bash` tool must run its commands under the sandbox (`sandbox.enabled` in config). */
  sandbox?: ShellSandbox
  /**
   * Records a process group the tool started (the `bash` tool's command), so that after a crash of Spool
   * (kill -9) the next start can kill exactly that group and nothing else (see `session/recover.ts`).
   * The session layer stores it durably (the tool part's `state.metadata.process`) before resolving; the
   * tool does not let the command run before the promise settles. Absent where nothing needs recovering.
   */
  process?(group: ProcessGroupRecord): Promise<void>
}

/**
 * A process group a tool started: its leader's pid (which is also the group id: tools start commands as
 * group leaders) and the leader's start time (field 22 of `/proc/<pid>/stat`, clock ticks since boot), so
 * that a pid recycled by the kernel is never mistaken for it.
 */
export interface ProcessGroupRecord {
  pid: number
  pgid: number
  startTime: number
}

/**
 * What a tool asks permission for (OpenCode 1.18's `permission.asked` payload, minus the ids). Rules
 * match `permission` against their `permission` and each of `patterns` against their `pattern`.
 */
export interface PermissionRequest {
  /** The permission: the tool name (`bash`, `read`, …), `edit` for `write`/`edit`, or `external_directory`. */
  permission: string
  /** What exactly, e.g. the command line or the path relative to the session directory. */
  patterns: string[]
  /** The patterns an `always` reply allows from now on (e.g. `git status *`); default `patterns`. */
  always?: string[]
  /** Shown to the user beside the request (the command, the diff, …). */
  metadata?: Record<string, unknown>
}

/** Sandbox settings handed to shell-running tools: everything outside the work tree is read-only. */
export interface ShellSandbox {
  /** Whether the command may use the network. */
  network: boolean
  /** Absolute paths the command may write besides the session directory and a private `/tmp`. */
  writable: string[]
  /** The session's work tree (git worktree root, else the session directory): writable as a whole. */
  workTree?: string
  /** The bubblewrap executable (default `bwrap` on `PATH`); for tests and unusual installs. */
  command?: string
}

/**
 * Keeps sessions that share a work tree from clobbering each other (issue 3): per-file write locks
 * (in-process and across processes sharing the data dir) and per-session read tracking.
 *
 * Contract:
 * - `recordRead(path, content)`: the session has now seen exactly `content` of `path` (absolute); resolves
 *   once the record is durable where the guard persists records (callers await it).
 * - `write(path, fn)`: takes the file's write lock, then fails with `StaleFileError` when the file
 *   exists and this session has not read it, or its bytes changed since this session last read or
 *   wrote it (the message names the session or process that changed it when known); otherwise runs
 *   `fn` (the read-modify-write) and records the result as this session's view. The lock is released
 *   even when `fn` throws.
 */
export interface FileGuard {
  recordRead(path: string, content: Uint8Array): void | Promise<void>
  write<T>(path: string, fn: () => Promise<T>): Promise<T>
}

/** Persistence for a session's todo list, injected by the session layer. */
export interface TodoStore {
  read(): Promise<import("./todo-schema.ts").Todo[]>
  write(todos: import("./todo-schema.ts").Todo[]): Promise<void>
}

/**
 * A finished tool call. `output` is the text the model sees; `title` is the short label clients show
 * (OpenCode's `state.title`); `metadata` is free-form data for clients (OpenCode's `state.metadata`).
 */
export interface ToolResult {
  title: string
  output: string
  metadata: Record<string, unknown>
}

/**
 * A tool the agent can call. Names and input fields follow OpenCode's built-in tools
 * (`read`, `write`, `edit`, `bash`, `glob`, `grep`, `list`, `todowrite`, `todoread`) so that clients which
 * render OpenCode tool parts render Spool's.
 *
 * Contract: `execute` receives input already validated against `parameters`. A thrown `Error` becomes
 * the tool part's `error` state with `error.message` shown to the model; nothing else is caught.
 */
export interface ToolDefinition<Parameters extends z.ZodType = z.ZodType> {
  name: string
  description: string
  /** True when the tool never changes files (lets the session skip the after-step snapshot). */
  readOnly?: boolean
  parameters: Parameters
  execute(args: z.infer<Parameters>, context: ToolContext): Promise<ToolResult>
}

/** Declares a tool with its input type inferred from the zod schema. */
export function defineTool<Parameters extends z.ZodType>(tool: ToolDefinition<Parameters>): ToolDefinition<Parameters> {
  return tool
}
