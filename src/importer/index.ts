import { parseClaudeCode } from "./claude-code.ts"
import { parseCodex } from "./codex.ts"
import { parseOpenCode } from "./opencode.ts"
import type { ImportSource, Parser } from "./types.ts"

export { defaultInputs, defaultLocations, sniffSource, type ImportInput } from "./discover.ts"
export { exportSession } from "./export.ts"
export { runImport, type ImportSummary } from "./run.ts"
export { storeImported } from "./store.ts"
export type { ImportedSession, ImportItem, ImportProblem, ImportSource, Parser } from "./types.ts"
export { parseClaudeCode, parseCodex, parseOpenCode }

/** The parser of each source format. */
export const parsers: Record<ImportSource, Parser> = {
  "claude-code": parseClaudeCode,
  codex: parseCodex,
  opencode: parseOpenCode,
}
