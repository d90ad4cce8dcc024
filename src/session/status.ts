import type { Bus } from "../bus/index.ts"
import { SessionEvent } from "./events.ts"
import type { SessionInfo, SessionStatus } from "./schema.ts"

/**
 * In-memory run state of every session (spec section 8). Only non-idle sessions are kept; setting
 * `idle` publishes `session.status` then the deprecated `session.idle` and forgets the session.
 */
export interface StatusMap {
  get(sessionID: string): SessionStatus
  set(session: Pick<SessionInfo, "id" | "directory">, status: SessionStatus): void
  /** `{[sessionID]: status}` of non-idle sessions (`GET /session/status`). */
  all(): Record<string, SessionStatus>
}

export function createStatusMap(bus: Bus): StatusMap {
  const statuses = new Map<string, SessionStatus>()
  return {
    get: (sessionID) => statuses.get(sessionID) ?? { type: "idle" },
    set(session, status) {
      if (status.type === "idle") statuses.delete(session.id)
      else statuses.set(session.id, status)
      bus.publish(SessionEvent.Status, { sessionID: session.id, status }, session.directory)
      if (status.type === "idle") bus.publish(SessionEvent.Idle, { sessionID: session.id }, session.directory)
    },
    all: () => Object.fromEntries(statuses),
  }
}
