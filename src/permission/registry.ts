import type { Bus } from "../bus/index.ts"
import { createId } from "../id/index.ts"
import { PermissionAbortedError, PermissionDeniedError, PermissionRejectedError } from "./errors.ts"
import { evaluate, type Ruleset } from "./rule.ts"
import { PermissionEvent, type PermissionReply, type PermissionRequestInfo } from "./schema.ts"

/** One permission check of a tool call. */
export interface AskInput {
  sessionID: string
  /** The session's directory; the events are published for it (`/event?directory=`). */
  directory: string
  /** `bash`, `edit`, `read`, … (see `ToolContext.ask`). */
  permission: string
  patterns: string[]
  /** Patterns an `always` reply allows from then on; default `patterns`. */
  always?: string[]
  metadata?: Record<string, unknown>
  /** The tool part waiting for the answer. */
  tool?: { messageID: string; callID: string }
  /** The turn's merged rules (see `turnRuleset`), evaluated now. */
  ruleset: Ruleset
  /** The turn's abort signal: aborting rejects the pending request. */
  abort?: AbortSignal
}

/** What the registry needs from the rest of the app. */
export interface PermissionRegistryOptions {
  bus: Bus
  /**
   * Appends rules to the session's `permission` (an `always` reply) and stores them, publishing
   * `session.updated`. Awaited before the approved call goes on, so the next call sees them.
   */
  approve(sessionID: string, rules: Ruleset): Promise<void>
}

interface Pending {
  info: PermissionRequestInfo
  directory: string
  resolve(): void
  reject(error: Error): void
}

/**
 * Pending permission requests of this process (OpenCode 1.18 `permission/index.ts`, in memory: a
 * restart forgets them, and crash recovery marks their tool parts interrupted).
 *
 * Contract:
 * - `ask` evaluates every pattern: a `deny` rejects at once with `PermissionDeniedError`; all `allow` →
 *   resolves at once; otherwise a `per_…` request is registered, `permission.asked` published, and
 *   the promise waits for `reply` or the abort signal.
 * - `reply(id, "once")` resolves it; `"always"` first stores `{permission, pattern, action: "allow"}`
 *   for each of its `always` patterns on the session, resolves it, and also resolves the session's
 *   other pending requests whose patterns those rules now allow; `"reject"` rejects it with
 *   `PermissionRejectedError` (carrying `message`) and, as OpenCode, every other pending request of the
 *   same session. Each settled request publishes `permission.replied`. Unknown id → `false`.
 * - Abort rejects the pending request with `PermissionAbortedError` and publishes `permission.replied`
 *   `reject`.
 */
export function createPermissionRegistry(options: PermissionRegistryOptions) {
  const pending = new Map<string, Pending>()

  const settle = (entry: Pending, reply: PermissionReply) => {
    pending.delete(entry.info.id)
    options.bus.publish(PermissionEvent.Replied, { sessionID: entry.info.sessionID, requestID: entry.info.id, reply }, entry.directory)
  }

  async function ask(input: AskInput): Promise<void> {
    let needsAsk = false
    for (const pattern of input.patterns) {
      const rule = evaluate(input.permission, pattern, input.ruleset)
      if (rule.action === "deny") throw new PermissionDeniedError(input.permission, pattern, rule)
      if (rule.action === "ask") needsAsk = true
    }
    if (!needsAsk) return
    if (input.abort?.aborted) throw new PermissionAbortedError()

    const info: PermissionRequestInfo = {
      id: createId("permission"),
      sessionID: input.sessionID,
      permission: input.permission,
      patterns: input.patterns,
      metadata: input.metadata ?? {},
      always: input.always ?? input.patterns,
      ...(input.tool ? { tool: input.tool } : {}),
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const entry = pending.get(info.id)
        if (!entry) return
        settle(entry, "reject")
        entry.reject(new PermissionAbortedError())
      }
      const done = () => input.abort?.removeEventListener("abort", onAbort)
      pending.set(info.id, {
        info,
        directory: input.directory,
        resolve: () => {
          done()
          resolve()
        },
        reject: (error) => {
          done()
          reject(error)
        },
      })
      input.abort?.addEventListener("abort", onAbort, { once: true })
      options.bus.publish(PermissionEvent.Asked, info, input.directory)
    })
  }

  async function reply(requestID: string, answer: PermissionReply, message?: string): Promise<boolean> {
    const entry = pending.get(requestID)
    if (!entry) return false
    const { info } = entry
    if (answer === "reject") {
      settle(entry, "reject")
      entry.reject(new PermissionRejectedError(info.permission, info.patterns, message))
      for (const other of [...pending.values()]) {
        if (other.info.sessionID !== info.sessionID) continue
        settle(other, "reject")
        other.reject(new PermissionRejectedError(other.info.permission, other.info.patterns))
      }
      return true
    }
    if (answer === "once") {
      settle(entry, "once")
      entry.resolve()
      return true
    }

    const rules: Ruleset = info.always.map((pattern) => ({ permission: info.permission, pattern, action: "allow" }))
    // Taken out of the pending list first, so a second reply cannot race the store below.
    pending.delete(requestID)
    try {
      if (rules.length > 0) await options.approve(info.sessionID, rules)
    } finally {
      settle(entry, "always")
      entry.resolve()
      for (const other of [...pending.values()]) {
        if (other.info.sessionID !== info.sessionID) continue
        if (!other.info.patterns.every((pattern) => evaluate(other.info.permission, pattern, rules).action === "allow")) continue
        settle(other, "always")
        other.resolve()
      }
    }
    return true
  }

  /** Pending requests, oldest first (`GET /permission`); only those of sessions in `directory` when given. */
  function list(directory?: string): PermissionRequestInfo[] {
    return [...pending.values()].filter((entry) => directory === undefined || entry.directory === directory).map((entry) => entry.info)
  }

  /** The session a pending request belongs to, or `undefined` when there is no such request. */
  function sessionOf(requestID: string): string | undefined {
    return pending.get(requestID)?.info.sessionID
  }

  return { ask, reply, list, sessionOf }
}

export type PermissionRegistry = ReturnType<typeof createPermissionRegistry>
