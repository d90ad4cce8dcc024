import type { SessionBuilder } from "./builder.ts"
import type { ToolDraft } from "./drafts.ts"
import type { SessionLink } from "./finish.ts"
import { isObject, text, type Json } from "./records.ts"

/** A sub-agent session found in a parent's file (inline sidechain) or side directory. */
export interface ChildSession {
  builder: SessionBuilder
  agentId?: string
  /** `agent-<id>.meta.json` (2.1.2xx). */
  meta?: Json
}

/**
 * Links sub-agent sessions to the Task/Agent tool call that spawned them (spec 1.10), in this order:
 * the parent's `agent_progress` lines (`data.agentId` → `parentToolUseID`), the meta file's
 * `toolUseId`, a tool result whose `toolUseResult.agentId` names the agent, and finally — for 1.0.x
 * inline sidechains, which carry no id — the call whose `input.prompt` equals the sidechain's first
 * prompt (the earliest unlinked call not after the sidechain started). Tool names are not hard-coded
 * (`Task` was renamed `Agent`). Every child gets the parent as `parentID`, linked or not; the compaction
 * summariser file (`agent-acompact-*`) becomes a `compaction` agent session titled "Compaction summary".
 */
export function linkChildren(parent: SessionBuilder, children: ChildSession[]): { parent: SessionLink; children: Map<ChildSession, SessionLink> } {
  const calls = parent.messages.flatMap((message) => (message.role === "assistant" ? message.tools : []))
  const linked = new Map<string, string>()
  const links = new Map<ChildSession, SessionLink>()
  for (const child of children) {
    const call = byAgentId(parent, calls, child) ?? byPrompt(calls, child, linked)
    const link: SessionLink = { parentID: parent.sessionID, metadata: {} }
    if (child.meta) link.metadata!.agentMeta = child.meta
    if (call && !linked.has(call.part.callID)) {
      linked.set(call.part.callID, child.builder.sessionID)
      const agent = text(call.input.subagent_type) ?? text(child.meta?.agentType)
      const description = text(call.input.description) ?? text(child.meta?.description)
      if (agent) link.agent = agent
      if (description) link.title = agent ? `${description} (@${agent} subagent)` : description
      link.metadata!.parentToolCallID = call.part.callID
    } else if (child.agentId?.startsWith("acompact")) {
      // The compaction summariser call (spec 1.9): OpenCode runs it as its `compaction` agent.
      link.agent = "compaction"
      link.title = "Compaction summary"
    } else {
      const agent = text(child.meta?.agentType)
      if (agent) link.agent = agent
      if (text(child.meta?.description)) link.title = child.meta!.description as string
    }
    links.set(child, link)
  }
  return { parent: { childSessions: linked }, children: links }
}

function byAgentId(parent: SessionBuilder, calls: ToolDraft[], child: ChildSession): ToolDraft | undefined {
  const agentId = child.agentId
  if (!agentId) return undefined
  const callID = parent.facts.agentCalls.get(agentId) ?? text(child.meta?.toolUseId)
  const byCall = callID ? calls.find((call) => call.part.callID === callID) : undefined
  return byCall ?? calls.find((call) => isObject(call.result?.toolUseResult) && call.result.toolUseResult.agentId === agentId)
}

function byPrompt(calls: ToolDraft[], child: ChildSession, linked: Map<string, string>): ToolDraft | undefined {
  const first = child.builder.messages.find((message) => message.role === "user" && message.prompt !== undefined)
  const prompt = first?.role === "user" ? first.prompt?.trim() : undefined
  if (!prompt) return undefined
  const candidates = calls.filter((call) => !linked.has(call.part.callID) && text(call.input.prompt)?.trim() === prompt)
  return candidates.find((call) => call.start <= child.builder.init.created) ?? candidates[0]
}
