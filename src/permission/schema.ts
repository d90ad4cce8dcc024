import { z } from "zod"
import { defineEvent } from "../bus/index.ts"
import { idSchema } from "../id/index.ts"

/**
 * A pending permission request as OpenCode 1.18 sends it in `permission.asked` and lists it in
 * `GET /permission` (`PermissionRequest`): `id` is `per_…`; `patterns` are what the rules were
 * evaluated against; `always` are the patterns an `always` reply allows from then on; `tool` points at
 * the tool part waiting for the answer.
 */
export const PermissionRequestInfo = z
  .object({
    id: idSchema("permission"),
    sessionID: z.string(),
    permission: z.string(),
    patterns: z.array(z.string()),
    metadata: z.record(z.string(), z.any()),
    always: z.array(z.string()),
    tool: z.object({ messageID: z.string(), callID: z.string() }).optional(),
  })
  .meta({ id: "PermissionRequest" })
export type PermissionRequestInfo = z.infer<typeof PermissionRequestInfo>

/** The user's answer: allow this call, allow it and its `always` patterns from now on, or refuse. */
export const PermissionReply = z.enum(["once", "always", "reject"]).meta({ id: "PermissionReply" })
export type PermissionReply = z.infer<typeof PermissionReply>

/** `POST /permission/:requestID/reply` body (OpenCode 1.18): `message` is feedback for the model on `reject`. */
export const PermissionReplyInput = z
  .object({ reply: PermissionReply, message: z.string().optional() })
  .meta({ id: "PermissionReplyInput" })

/** `POST /session/:sessionID/permissions/:permissionID` body (OpenCode's deprecated route). */
export const PermissionRespondInput = z.object({ response: PermissionReply }).meta({ id: "PermissionRespondInput" })

/** The permission events, OpenCode 1.18 names and payloads (spec 7.4). Neither is persisted. */
export const PermissionEvent = {
  Asked: defineEvent("permission.asked", PermissionRequestInfo),
  Replied: defineEvent("permission.replied", z.object({ sessionID: z.string(), requestID: z.string(), reply: PermissionReply })),
} as const

/** Every permission event definition, for the SSE/OpenAPI union. */
export const permissionEventDefinitions = Object.values(PermissionEvent)
