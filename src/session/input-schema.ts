import { z } from "zod"
import { FilePart, MessageID, PartID, PermissionRule, SessionID } from "./schema.ts"

/**
 * Request bodies of the session API, as OpenCode 1.18 accepts them (spec 4, 11.3).
 */

/** `POST /session`: every field optional; an empty body is allowed. */
export const SessionCreateInput = z
  .object({
    parentID: SessionID.optional(),
    title: z.string().optional(),
    agent: z.string().optional(),
    model: z.object({ id: z.string(), providerID: z.string(), variant: z.string().optional() }).optional(),
    metadata: z.record(z.string(), z.any()).optional(),
    permission: z.array(PermissionRule).optional(),
    workspaceID: z.string().optional(),
  })
  .meta({ id: "SessionCreateInput" })
export type SessionCreateInput = z.infer<typeof SessionCreateInput>

/** `PATCH /session/:id`: title, metadata (replaced), permission (appended), time.archived. */
export const SessionUpdateInput = z
  .object({
    title: z.string().optional(),
    metadata: z.record(z.string(), z.any()).optional(),
    permission: z.array(PermissionRule).optional(),
    time: z.object({ archived: z.number().optional() }).optional(),
  })
  .meta({ id: "SessionUpdateInput" })
export type SessionUpdateInput = z.infer<typeof SessionUpdateInput>

/** `POST /session/:id/fork`: copy messages strictly before `messageID` (all when absent). */
export const SessionForkInput = z.object({ messageID: MessageID.optional() }).meta({ id: "SessionForkInput" })

const TextPartInput = z
  .object({
    id: PartID.optional(),
    type: z.literal("text"),
    text: z.string(),
    synthetic: z.boolean().optional(),
    ignored: z.boolean().optional(),
    metadata: z.record(z.string(), z.any()).optional(),
  })
  .meta({ id: "TextPartInput" })
const FilePartInput = FilePart.omit({ id: true, sessionID: true, messageID: true })
  .extend({ id: PartID.optional() })
  .meta({ id: "FilePartInput" })
const AgentPartInput = z
  .object({
    id: PartID.optional(),
    type: z.literal("agent"),
    name: z.string(),
    source: z.object({ value: z.string(), start: z.number(), end: z.number() }).optional(),
  })
  .meta({ id: "AgentPartInput" })
const SubtaskPartInput = z
  .object({
    id: PartID.optional(),
    type: z.literal("subtask"),
    prompt: z.string(),
    description: z.string(),
    agent: z.string(),
    model: z.object({ providerID: z.string(), modelID: z.string() }).optional(),
    command: z.string().optional(),
  })
  .meta({ id: "SubtaskPartInput" })

export const PartInput = z.discriminatedUnion("type", [TextPartInput, FilePartInput, AgentPartInput, SubtaskPartInput])
export type PartInput = z.infer<typeof PartInput>

/** `POST /session/:id/message` and `/prompt_async`. */
export const PromptInput = z
  .object({
    messageID: MessageID.optional(),
    model: z.object({ providerID: z.string(), modelID: z.string() }).optional(),
    agent: z.string().optional(),
    noReply: z.boolean().optional(),
    tools: z.record(z.string(), z.boolean()).optional(),
    format: z.any().optional(),
    system: z.string().optional(),
    variant: z.string().optional(),
    parts: z.array(PartInput),
  })
  .meta({ id: "PromptInput" })
export type PromptInput = z.infer<typeof PromptInput>
