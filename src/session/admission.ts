import type { Config } from "../config/index.ts"
import { knownAgents } from "../permission/index.ts"
import { modelInfo, type ModelRef } from "../provider/index.ts"
import { BadRequestError } from "../util/named-error.ts"
import { estimateTokens } from "./compaction.ts"
import type { PromptInput } from "./input-schema.ts"

/**
 * A prompt may only name a known agent: a built-in one (`build`, `plan`) or an `agent.<name>` of the
 * config. @throws BadRequestError naming the known agents (OpenCode reports "Agent not found" with the
 * available list too, but only once the turn runs).
 */
export function checkAgent(config: Config, agent: string | undefined): void {
  if (agent === undefined) return
  const known = knownAgents(config)
  if (!known.includes(agent)) throw new BadRequestError({ message: `Unknown agent "${agent}". Known agents: ${known.join(", ")}`, kind: "Payload" })
}

/**
 * Refuses a prompt whose own text (text parts and `system`) is estimated (4 characters per token) to be
 * larger than the model's whole context window, before anything is stored or sent to the provider. The
 * window comes from `provider.<id>.models.<model>.limit.context` in config, else the bundled model table;
 * unknown → no check. @throws BadRequestError
 */
export function checkPromptFits(config: Config, model: ModelRef, input: PromptInput): void {
  const context = config.provider?.[model.providerID]?.models?.[model.modelID]?.limit?.context ?? modelInfo(model.modelID).limit?.context
  if (!context) return
  const texts = input.parts.flatMap((part) => (part.type === "text" ? [part.text] : []))
  const tokens = estimateTokens([...(input.system ? [input.system] : []), ...texts].join("\n"))
  if (tokens <= context) return
  throw new BadRequestError({
    message: `Prompt too large: its text is about ${tokens} tokens but ${model.providerID}/${model.modelID} has a context window of ${context} tokens. Send a shorter prompt, or attach large content as a file the agent can read.`,
    kind: "Payload",
  })
}
