import { z } from "zod"
import { idSchema } from "../id/index.ts"
import { Todo } from "../tool/todo-schema.ts"
import { MessageError } from "../provider/error.ts"

/**
 * Wire shapes of OpenCode's v1 session model (`packages/schema/src/v1/session.ts`, spec sections 1-2),
 * declared once and shared by storage rows, HTTP bodies, SSE payloads and the OpenAPI document.
 * Absent optionals are omitted, never `null`. Times are epoch milliseconds; costs are USD; token counts
 * are tokens.
 */

export const SessionID = idSchema("session")
export const MessageID = idSchema("message")
export const PartID = idSchema("part")

/** Token usage of one LLM step (or a sum of steps). `input` excludes cache reads and writes. */
export const Tokens = z
  .object({
    total: z.number().optional(),
    input: z.number(),
    output: z.number(),
    reasoning: z.number(),
    cache: z.object({ read: z.number(), write: z.number() }),
  })
  .meta({ id: "Tokens" })
export type Tokens = z.infer<typeof Tokens>

/** One changed file: a unified diff and its line counts. */
export const FileDiff = z
  .object({
    file: z.string(),
    patch: z.string(),
    additions: z.number(),
    deletions: z.number(),
    status: z.enum(["added", "deleted", "modified"]).optional(),
  })
  .meta({ id: "FileDiff" })
export type FileDiff = z.infer<typeof FileDiff>

/** A permission rule; evaluation is "last matching rule wins" (OpenCode `permission/index.ts`). */
export const PermissionRule = z
  .object({ permission: z.string(), pattern: z.string(), action: z.enum(["allow", "deny", "ask"]) })
  .meta({ id: "PermissionRule" })

export const SessionInfo = z
  .object({
    id: SessionID,
    slug: z.string(),
    projectID: z.string(),
    workspaceID: z.string().optional(),
    directory: z.string(),
    path: z.string().optional(),
    parentID: SessionID.optional(),
    summary: z
      .object({ additions: z.number(), deletions: z.number(), files: z.number(), diffs: z.array(FileDiff).optional() })
      .optional(),
    cost: z.number().optional(),
    tokens: Tokens.optional(),
    /**
     * Spool extension: number of LLM steps and cache efficiency = cache read / (input + cache read +
     * cache write) over the whole session (0 when nothing was sent yet).
     */
    stats: z.object({ steps: z.number(), cacheEfficiency: z.number() }).optional(),
    /**
     * Spool extension, only in `GET /session?search=` responses (never stored): where the search
     * matched — the title, or a message (with an FTS snippet, matches in `[` `]`).
     */
    match: z
      .object({ field: z.enum(["title", "content"]), messageID: MessageID.optional(), snippet: z.string().optional() })
      .optional(),
    share: z.object({ url: z.string() }).optional(),
    title: z.string(),
    agent: z.string().optional(),
    model: z.object({ id: z.string(), providerID: z.string(), variant: z.string().optional() }).optional(),
    version: z.string(),
    metadata: z.record(z.string(), z.any()).optional(),
    time: z.object({
      created: z.number(),
      updated: z.number(),
      compacting: z.number().optional(),
      archived: z.number().optional(),
    }),
    permission: z.array(PermissionRule).optional(),
    /**
     * A pending revert (spec 4.6). `snapshot` is the work tree before the revert (what unrevert puts
     * back) and `diff` its unified diff. Spool adds `files` (what the revert restored), `conflicts`
     * (files changed by someone else after the agent, left alone) and `reverted` (the tree right after
     * the revert, to detect edits made before an unrevert).
     */
    revert: z
      .object({
        messageID: MessageID,
        partID: PartID.optional(),
        snapshot: z.string().optional(),
        diff: z.string().optional(),
        files: z.array(z.string()).optional(),
        conflicts: z.array(z.string()).optional(),
        reverted: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: "Session" })
export type SessionInfo = z.infer<typeof SessionInfo>

const ModelRef = z.object({ providerID: z.string(), modelID: z.string() })

export const UserMessage = z
  .object({
    id: MessageID,
    sessionID: SessionID,
    role: z.literal("user"),
    time: z.object({ created: z.number() }),
    agent: z.string(),
    model: ModelRef.extend({ variant: z.string().optional() }),
    format: z.any().optional(),
    summary: z
      .object({ title: z.string().optional(), body: z.string().optional(), diffs: z.array(FileDiff) })
      .optional(),
    system: z.string().optional(),
    tools: z.record(z.string(), z.boolean()).optional(),
  })
  .meta({ id: "UserMessage" })
export type UserMessage = z.infer<typeof UserMessage>

export const AssistantMessage = z
  .object({
    id: MessageID,
    sessionID: SessionID,
    role: z.literal("assistant"),
    time: z.object({ created: z.number(), completed: z.number().optional() }),
    error: MessageError.optional(),
    parentID: MessageID,
    modelID: z.string(),
    providerID: z.string(),
    mode: z.string(),
    agent: z.string(),
    variant: z.string().optional(),
    path: z.object({ cwd: z.string(), root: z.string() }),
    summary: z.boolean().optional(),
    cost: z.number(),
    tokens: Tokens,
    finish: z.string().optional(),
    structured: z.any().optional(),
  })
  .meta({ id: "AssistantMessage" })
export type AssistantMessage = z.infer<typeof AssistantMessage>

export const Message = z.discriminatedUnion("role", [UserMessage, AssistantMessage]).meta({ id: "Message" })
export type Message = z.infer<typeof Message>

const PartBase = { id: PartID, sessionID: SessionID, messageID: MessageID }
const Metadata = z.record(z.string(), z.any())

export const TextPart = z
  .object({
    ...PartBase,
    type: z.literal("text"),
    text: z.string(),
    synthetic: z.boolean().optional(),
    ignored: z.boolean().optional(),
    time: z.object({ start: z.number(), end: z.number().optional() }).optional(),
    metadata: Metadata.optional(),
  })
  .meta({ id: "TextPart" })

export const ReasoningPart = z
  .object({
    ...PartBase,
    type: z.literal("reasoning"),
    text: z.string(),
    metadata: Metadata.optional(),
    time: z.object({ start: z.number(), end: z.number().optional() }),
  })
  .meta({ id: "ReasoningPart" })

const FilePartSource = z.union([
  z.object({ type: z.literal("file"), path: z.string(), text: z.object({ value: z.string(), start: z.number(), end: z.number() }) }),
  z.object({
    type: z.literal("symbol"),
    path: z.string(),
    range: z.any(),
    name: z.string(),
    kind: z.number(),
    text: z.object({ value: z.string(), start: z.number(), end: z.number() }),
  }),
  z.object({
    type: z.literal("resource"),
    clientName: z.string(),
    uri: z.string(),
    text: z.object({ value: z.string(), start: z.number(), end: z.number() }),
  }),
])

export const FilePart = z
  .object({
    ...PartBase,
    type: z.literal("file"),
    mime: z.string(),
    filename: z.string().optional(),
    url: z.string(),
    source: FilePartSource.optional(),
  })
  .meta({ id: "FilePart" })

export const AgentPart = z
  .object({
    ...PartBase,
    type: z.literal("agent"),
    name: z.string(),
    source: z.object({ value: z.string(), start: z.number(), end: z.number() }).optional(),
  })
  .meta({ id: "AgentPart" })

export const SubtaskPart = z
  .object({
    ...PartBase,
    type: z.literal("subtask"),
    prompt: z.string(),
    description: z.string(),
    agent: z.string(),
    model: ModelRef.optional(),
    command: z.string().optional(),
  })
  .meta({ id: "SubtaskPart" })

/** Tool state machine: pending → running → completed | error (spec 2.4). */
export const ToolStatePending = z
  .object({ status: z.literal("pending"), input: z.record(z.string(), z.any()), raw: z.string() })
  .meta({ id: "ToolStatePending" })
export const ToolStateRunning = z
  .object({
    status: z.literal("running"),
    input: z.record(z.string(), z.any()),
    title: z.string().optional(),
    metadata: Metadata.optional(),
    time: z.object({ start: z.number() }),
  })
  .meta({ id: "ToolStateRunning" })
export const ToolStateCompleted = z
  .object({
    status: z.literal("completed"),
    input: z.record(z.string(), z.any()),
    output: z.string(),
    title: z.string(),
    metadata: Metadata,
    time: z.object({ start: z.number(), end: z.number(), compacted: z.number().optional() }),
    attachments: z.array(FilePart).optional(),
  })
  .meta({ id: "ToolStateCompleted" })
export const ToolStateError = z
  .object({
    status: z.literal("error"),
    input: z.record(z.string(), z.any()),
    error: z.string(),
    metadata: Metadata.optional(),
    time: z.object({ start: z.number(), end: z.number() }),
  })
  .meta({ id: "ToolStateError" })
export const ToolState = z
  .discriminatedUnion("status", [ToolStatePending, ToolStateRunning, ToolStateCompleted, ToolStateError])
  .meta({ id: "ToolState" })
export type ToolState = z.infer<typeof ToolState>

export const ToolPart = z
  .object({
    ...PartBase,
    type: z.literal("tool"),
    callID: z.string(),
    tool: z.string(),
    state: ToolState,
    metadata: Metadata.optional(),
  })
  .meta({ id: "ToolPart" })

export const StepStartPart = z
  .object({ ...PartBase, type: z.literal("step-start"), snapshot: z.string().optional() })
  .meta({ id: "StepStartPart" })

export const StepFinishPart = z
  .object({
    ...PartBase,
    type: z.literal("step-finish"),
    reason: z.string(),
    snapshot: z.string().optional(),
    cost: z.number(),
    tokens: Tokens,
    metadata: Metadata.optional(),
  })
  .meta({ id: "StepFinishPart" })

export const SnapshotPart = z
  .object({ ...PartBase, type: z.literal("snapshot"), snapshot: z.string() })
  .meta({ id: "SnapshotPart" })

export const PatchPart = z
  .object({ ...PartBase, type: z.literal("patch"), hash: z.string(), files: z.array(z.string()) })
  .meta({ id: "PatchPart" })

export const CompactionPart = z
  .object({
    ...PartBase,
    type: z.literal("compaction"),
    auto: z.boolean(),
    overflow: z.boolean().optional(),
    tail_start_id: MessageID.optional(),
  })
  .meta({ id: "CompactionPart" })

export const RetryPart = z
  .object({
    ...PartBase,
    type: z.literal("retry"),
    attempt: z.number(),
    error: z.any(),
    time: z.object({ created: z.number() }),
  })
  .meta({ id: "RetryPart" })

/** All 12 part types of OpenCode's model. */
export const Part = z
  .discriminatedUnion("type", [
    TextPart,
    SubtaskPart,
    ReasoningPart,
    FilePart,
    ToolPart,
    StepStartPart,
    StepFinishPart,
    SnapshotPart,
    PatchPart,
    AgentPart,
    RetryPart,
    CompactionPart,
  ])
  .meta({ id: "Part" })
export type Part = z.infer<typeof Part>
export type TextPart = z.infer<typeof TextPart>
export type ReasoningPart = z.infer<typeof ReasoningPart>
export type ToolPart = z.infer<typeof ToolPart>
export type StepFinishPart = z.infer<typeof StepFinishPart>
export type FilePart = z.infer<typeof FilePart>

/** A message with its parts, ordered by part creation (`GET /session/:id/message`). */
export const WithParts = z.object({ info: Message, parts: z.array(Part) }).meta({ id: "MessageWithParts" })
export type WithParts = z.infer<typeof WithParts>

/** In-memory run state of a session (spec section 8); never persisted. `next` is epoch ms. */
export const SessionStatus = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("idle") }),
    z.object({ type: z.literal("busy") }),
    z.object({ type: z.literal("retry"), attempt: z.number(), message: z.string(), next: z.number() }),
  ])
  .meta({ id: "SessionStatus" })
export type SessionStatus = z.infer<typeof SessionStatus>

export { Todo, MessageError }
export type { Todo as TodoType } from "../tool/todo-schema.ts"
