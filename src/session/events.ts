import { z } from "zod"
import { defineEvent } from "../bus/index.ts"
import { permissionEventDefinitions } from "../permission/index.ts"
import { FileDiff, Message, MessageError, Part, SessionInfo, SessionStatus, Todo } from "./schema.ts"

/**
 * The session event catalogue, OpenCode 1.18 names and payloads (spec 7.4). Every event but
 * `message.part.delta` describes a change that is already stored when it is published.
 */
export const SessionEvent = {
  Created: defineEvent("session.created", z.object({ sessionID: z.string(), info: SessionInfo })),
  Updated: defineEvent("session.updated", z.object({ sessionID: z.string(), info: SessionInfo })),
  Deleted: defineEvent("session.deleted", z.object({ sessionID: z.string(), info: SessionInfo })),
  Status: defineEvent("session.status", z.object({ sessionID: z.string(), status: SessionStatus })),
  /** Deprecated upstream, still emitted after `session.status` idle (spec 8). */
  Idle: defineEvent("session.idle", z.object({ sessionID: z.string() })),
  Diff: defineEvent("session.diff", z.object({ sessionID: z.string(), diff: z.array(FileDiff) })),
  Error: defineEvent("session.error", z.object({ sessionID: z.string().optional(), error: MessageError.optional() })),
  Compacted: defineEvent("session.compacted", z.object({ sessionID: z.string() })),
} as const

export const MessageEvent = {
  Updated: defineEvent("message.updated", z.object({ sessionID: z.string(), info: Message })),
  Removed: defineEvent("message.removed", z.object({ sessionID: z.string(), messageID: z.string() })),
  PartUpdated: defineEvent(
    "message.part.updated",
    z.object({ sessionID: z.string(), part: Part, time: z.number() }),
  ),
  /** Streaming text appended to a part; not persisted by itself (the part is, at its end). */
  PartDelta: defineEvent(
    "message.part.delta",
    z.object({
      sessionID: z.string(),
      messageID: z.string(),
      partID: z.string(),
      field: z.string(),
      delta: z.string(),
    }),
  ),
  PartRemoved: defineEvent(
    "message.part.removed",
    z.object({ sessionID: z.string(), messageID: z.string(), partID: z.string() }),
  ),
} as const

export const TodoEvent = {
  Updated: defineEvent("todo.updated", z.object({ sessionID: z.string(), todos: z.array(Todo) })),
} as const

/** Every session-domain event definition (permission requests included), for the SSE/OpenAPI union. */
export const sessionEventDefinitions = [
  ...Object.values(SessionEvent),
  ...Object.values(MessageEvent),
  ...Object.values(TodoEvent),
  ...permissionEventDefinitions,
]
