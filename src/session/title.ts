import type { Config } from "../config/index.ts"
import { aiSdk, parseModel, resolveModel } from "../provider/index.ts"
import type { Logger } from "../util/log.ts"
import type { Part, SessionInfo } from "./schema.ts"
import type { Writer } from "./writer.ts"

/** Titles OpenCode considers "default" (spec 1.1): only these are replaced by a generated title. */
const DEFAULT_TITLE = /^(New|Child) session - \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const TITLE_PROMPT =
  "Generate a title for this conversation: at most 50 characters, in the language of the message, naming the task, no quotes, no trailing period. Reply with the title only."
const MAX_LENGTH = 100

/**
 * Titles a root session after its first prompt (spec 9.6): with `small_model` configured, a short
 * model call (`<think>` blocks stripped, first non-empty line); otherwise the prompt's first line.
 * Cut to 100 characters (97 + "..."). Only default titles are replaced, and only if still default when
 * the title arrives (the user may have renamed the session meanwhile). Failures are logged, never
 * thrown: a title is not worth failing a turn for.
 */
export async function titleSession(
  deps: { writer: Writer; log: Logger; config: () => Config; env: NodeJS.ProcessEnv },
  session: SessionInfo,
  parts: Part[],
): Promise<void> {
  if (session.parentID || !DEFAULT_TITLE.test(session.title)) return
  const text = parts.find((part): part is Extract<Part, { type: "text" }> => part.type === "text" && !part.synthetic && part.text.trim() !== "")?.text
  if (!text) return
  try {
    let title = firstLine(text)
    const small = parseModel(deps.config().small_model)
    if (small) {
      const model = resolveModel(small, deps.config(), deps.env)
      const result = await aiSdk().generateText({ model: model.language, system: TITLE_PROMPT, prompt: text.slice(0, 4000), maxOutputTokens: 60, maxRetries: 1 })
      title = firstLine(result.text.replace(/<think>[\s\S]*?<\/think>/g, "")) || title
    }
    await deps.writer.patchSession(session.id, (current) => (DEFAULT_TITLE.test(current.title) ? { ...current, title: clip(title) } : undefined))
  } catch (error) {
    deps.log.warn({ err: error, sessionID: session.id }, "title generation failed")
  }
}

function firstLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? ""
}

function clip(title: string): string {
  return title.length > MAX_LENGTH ? `${title.slice(0, MAX_LENGTH - 3)}...` : title
}
