import { existsSync } from "node:fs"
import type { Kysely } from "kysely"
import type { Config } from "../config/index.ts"
import { knownPrice, modelInfo, stepCost, type ModelInfo } from "../provider/index.ts"
import type { ProjectCache } from "../session/projects.ts"
import { repository } from "../session/repository.ts"
import type { Part, SessionInfo } from "../session/schema.ts"
import { cacheEfficiency } from "../session/stats.ts"
import type { Database } from "../storage/index.ts"
import type { ImportedSession } from "./types.ts"

/** What storing one imported session changed. */
export interface StoreResult {
  sessionID: string
  created: boolean
  messagesAdded: number
  partsAdded: number
}

/**
 * Stores an imported session in one transaction with upserts keyed by its deterministic IDs, so
 * importing the same input again changes nothing and a grown file only adds its new records. Fills in
 * what parsers leave open: the project of the session's directory (`global` when it does not exist on
 * this machine), Spool's version, a price for steps of known models that carry no cost, and the
 * session's token and cost totals (over every step stored for it, not just this input's). Existing sessions keep Spool-side edits (title, archive, metadata
 * other than `import`).
 */
export async function storeImported(
  db: Kysely<Database>,
  projects: ProjectCache,
  version: string,
  imported: ImportedSession,
  /** `config.provider.<id>.models.<model>.cost` prices win over the catalogue's (see `priceMessage`). */
  options: { config?: Pick<Config, "provider"> } = {},
): Promise<StoreResult> {
  const project = existsSync(imported.info.directory) ? await projects.resolve(imported.info.directory).catch(() => undefined) : undefined
  const messages = imported.messages.map((message) => priceMessage(message, options.config))
  const parts = messages.flatMap((message) => message.parts)
  return db.transaction().execute(async (trx) => {
    const existing = await repository.getSession(trx, imported.info.id)
    const info: SessionInfo = {
      ...imported.info,
      projectID: project?.id ?? imported.info.projectID ?? "global",
      version: imported.info.version || version,
      ...(existing ? { title: existing.title, time: { ...imported.info.time, archived: existing.time.archived } } : {}),
    }
    if (!info.projectID) info.projectID = "global"
    if (existing?.time.archived === undefined) delete info.time.archived
    await repository.upsertProject(trx, { id: info.projectID, worktree: project?.worktree ?? "/", vcs: project?.vcs }, Date.now())
    if (existing) await repository.updateSession(trx, info)
    else await repository.insertSession(trx, info)

    const messageIDs = messages.map((message) => message.info.id)
    const knownMessages = new Set(await repository.existingIDs(trx, "message", messageIDs))
    const knownParts = new Set(await repository.existingIDs(trx, "part", parts.map((part) => part.id)))
    const now = Date.now()
    for (const message of messages) await repository.upsertMessage(trx, message.info, now)
    const messageTime = new Map(messages.map((message) => [message.info.id, message.info.time.created]))
    const index = new Map<string, number>()
    for (const part of parts) {
      // Parts keep their source order: the message's time plus the part's position.
      const position = index.get(part.messageID) ?? 0
      index.set(part.messageID, position + 1)
      await repository.upsertPart(trx, part, now, (messageTime.get(part.messageID) ?? now) + position)
    }
    if (imported.todos) await repository.setTodos(trx, info.id, imported.todos, now)
    // Totals over everything stored for the session (an earlier, longer import of it included).
    const usage = await repository.usage(trx, info.id)
    await repository.updateSession(trx, { ...info, cost: usage.cost, tokens: usage.tokens, stats: { steps: usage.steps, cacheEfficiency: cacheEfficiency(usage.tokens) } })
    return {
      sessionID: info.id,
      created: !existing,
      messagesAdded: messageIDs.filter((id) => !knownMessages.has(id)).length,
      partsAdded: parts.filter((part) => !knownParts.has(part.id)).length,
    }
  })
}

type ImportedMessage = ImportedSession["messages"][number]

/**
 * Prices an assistant message's steps that carry no recorded cost: from config when it prices the model
 * (`provider.<id>.models.<model>.cost`, as live turns are priced; cache prices it leaves out are the
 * catalogue's, see `knownPrice`), else from the bundled catalogue
 * (`modelInfo`: `@pydantic/genai-prices`, prices in force at the message's time, the catalogue's
 * provider picked by the message's `providerID`), with 1-hour cache writes at their own price when
 * the source recorded the split (Anthropic usage `cache_creation.ephemeral_1h_input_tokens`, kept by
 * the Claude Code importer in `metadata.usage`). The message's own `cost`, when the source recorded
 * none, becomes the sum of its steps'. A model neither prices keeps `cost: 0`: the
 * stats flag such steps as unpriced (`sessionStats`, `usageReport`). Recorded costs (Claude Code
 * `costUSD`, OpenCode's own) are kept as they are.
 */
function priceMessage(message: ImportedMessage, config: Pick<Config, "provider"> | undefined): ImportedMessage {
  const info = message.info
  if (info.role !== "assistant") return message
  const configured = config?.provider?.[info.providerID]?.models?.[info.modelID]?.cost !== undefined
  const model: ModelInfo = configured ? { cost: knownPrice(info.providerID, info.modelID, config) } : modelInfo(info.modelID, info.providerID, info.time.created)
  if (!model.cost) return message
  let added = 0
  const parts = message.parts.map((part): Part => {
    if (part.type !== "step-finish" || part.cost > 0) return part
    const usage = (part.metadata as { usage?: { cache_creation?: { ephemeral_1h_input_tokens?: unknown } } } | undefined)?.usage
    const write1h = Number(usage?.cache_creation?.ephemeral_1h_input_tokens) || 0
    const cost = stepCost(model, part.tokens, write1h)
    added += cost
    return cost > 0 ? { ...part, cost } : part
  })
  return { info: info.cost > 0 || added === 0 ? info : { ...info, cost: added }, parts }
}
