import { z } from "zod"
import { FileDiff, MessageID, PartID, SessionID, SessionInfo, Tokens } from "./schema.ts"

/**
 * Shapes of the read-only queries the web UI makes across sessions (issue 10): the cross-project
 * session list, full-text search, find-in-session and the revert preview. A shareable leaf: it imports
 * only zod and `schema.ts`, so `web/` may `import type` from it. Also the usage report of `GET /stats`.
 */

/** A project as OpenCode's `GET /experimental/session` names it beside each session (`ProjectSummary`). */
export const ProjectSummary = z
  .object({ id: z.string(), name: z.string().optional(), worktree: z.string() })
  .meta({ id: "ProjectSummary" })
export type ProjectSummary = z.infer<typeof ProjectSummary>

/**
 * A session of any project (OpenCode's `GlobalSession`): the Session shape unchanged, plus its
 * project (`null` when the project is not known to Spool's project table).
 */
export const GlobalSession = SessionInfo.extend({ project: ProjectSummary.nullable() }).meta({ id: "GlobalSession" })
export type GlobalSession = z.infer<typeof GlobalSession>

/**
 * Where a search matched, as plain text segments in order: `match: true` for the matched words, the
 * text around them otherwise (an elided start or end is `…`). Never markup: the UI escapes `text` and
 * highlights the matched segments itself.
 */
export const SnippetSegment = z.object({ text: z.string(), match: z.boolean() }).meta({ id: "SnippetSegment" })
export type SnippetSegment = z.infer<typeof SnippetSegment>

/** One matching part of `GET /search` (best match first). `time`: the message's creation (epoch ms). */
export const SearchHit = z
  .object({
    sessionID: SessionID,
    messageID: MessageID,
    partID: PartID,
    /** The part's type: `text`, `reasoning` or `tool` (a tool's name, input and output are indexed). */
    partType: z.string(),
    title: z.string(),
    directory: z.string(),
    projectID: z.string(),
    time: z.number(),
    snippet: z.array(SnippetSegment),
  })
  .meta({ id: "SearchHit" })
export type SearchHit = z.infer<typeof SearchHit>

/** One matching part of `GET /session/:id/search`, in message order. `time`: the message's creation (epoch ms). */
export const SessionSearchMatch = z
  .object({ messageID: MessageID, partID: PartID, partType: z.string(), time: z.number(), snippet: z.array(SnippetSegment) })
  .meta({ id: "SessionSearchMatch" })
export type SessionSearchMatch = z.infer<typeof SessionSearchMatch>

/** One file a revert would restore: `restore` to its content before the session changed it, `delete` when the session created it. */
export const RevertPreviewFile = z.object({ file: z.string(), action: z.enum(["restore", "delete"]) }).meta({ id: "RevertPreviewFile" })

/**
 * What `POST /session/:id/revert` with the same `messageID`/`partID` would do now, computed by the
 * same code without changing anything: the point it would revert from (a part inside the first
 * message's turn widens to the turn when nothing before it in the message is kept), the files it would
 * restore, and the conflicts it would leave alone (changed by someone else since the agent's last
 * change; `force` would overwrite them). `pending`: the session already has a revert, which the new one
 * first undoes (files edited since that revert stay as they are).
 */
export const RevertPreview = z
  .object({
    sessionID: SessionID,
    messageID: MessageID,
    partID: PartID.optional(),
    files: z.array(RevertPreviewFile),
    conflicts: z.array(z.string()),
    pending: z.boolean(),
    /** The changes of the reverted messages, per file (what the revert undoes), when snapshots recorded them. */
    diffs: z.array(FileDiff),
  })
  .meta({ id: "RevertPreview" })
export type RevertPreview = z.infer<typeof RevertPreview>

/** What `GET /stats` can group by; `tool` counts tool calls only (per tool name), not steps. */
export const UsageDimension = z.enum(["day", "session", "model", "source", "tool"]).meta({ id: "UsageDimension" })

/** One group of `GET /stats` (`spool stats --json` row). Tokens in tokens, cost in USD. */
export const UsageRow = z
  .object({
    key: z.string().describe("The group's values of the `groupBy` dimensions joined with `|`, in `groupBy` order (`total` for the total)"),
    keys: z.record(z.string(), z.string()).describe("The group's value per dimension: day `YYYY-MM-DD`, model `provider/model`, session id, source, tool name"),
    session: z.object({ title: z.string(), directory: z.string(), projectID: z.string(), source: z.string() }).optional().describe("With the `session` dimension"),
    sessions: z.number(),
    steps: z.number(),
    tokens: Tokens,
    cost: z.number().describe("USD over priced steps only; see `pricing`"),
    unpricedSteps: z.number().describe("Steps whose recorded cost 0 is unknown, not free (no price known for their model); not in `cost`"),
    cacheEfficiency: z.number().describe("cache read / (input + cache read + cache write); 0 when nothing was sent"),
    toolCalls: z.number(),
    toolErrors: z.number(),
    toolErrorRate: z.number().describe("toolErrors / toolCalls (0 when no calls)"),
    pricing: z.enum(["priced", "partial", "unpriced"]).describe("`partial`: `cost` leaves some steps out; `unpriced`: no step has a known cost (never show $0)"),
  })
  .meta({ id: "UsageRow" })

/** `GET /stats`: usage across sessions, grouped, with the total and the models that have no price. */
export const UsageReport = z
  .object({
    filter: z.object({ since: z.number().optional(), until: z.number().optional(), timeZone: z.string(), groupBy: z.array(UsageDimension) }),
    rows: z.array(UsageRow),
    total: UsageRow,
    unpriced: z.array(z.string()).describe("`provider/model` of every counted model with unpriced steps, sorted"),
  })
  .meta({ id: "UsageReport" })
