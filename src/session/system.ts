import type { ResolvedModel } from "../provider/index.ts"

const BASE_PROMPT = `You are Spool, a coding agent working in the user's project. You help with software engineering tasks: reading and changing code, running commands, and explaining what you find.

Work like a careful senior engineer:
- Read the relevant files before changing them; make the smallest change that solves the task.
- Use the tools: read, list, glob and grep to look around; edit and write to change files; bash to run commands and tests. Paths may be absolute or relative to the working directory; you cannot touch files outside it.
- Keep a todo list with todowrite for multi-step work and update it as you go.
- When you are done, answer briefly: what you changed and how you checked it.`

/**
 * The system prompt of a turn: the base instructions (or the agent's own `prompt`) and an environment
 * block. Deliberately free of
 * anything that changes between requests of a session (no clock time), so the prompt prefix stays
 * byte-identical and the provider's prompt cache can hit.
 */
export function systemPrompt(input: { model: ResolvedModel; directory: string; worktree: string; prompt?: string }): string {
  return [
    input.prompt ?? BASE_PROMPT,
    `You are powered by the model named ${input.model.modelID}. The exact model ID is ${input.model.providerID}/${input.model.modelID}.`,
    "<env>",
    `  Working directory: ${input.directory}`,
    `  Workspace root folder: ${input.worktree}`,
    `  Platform: ${process.platform}`,
    "</env>",
  ].join("\n")
}
