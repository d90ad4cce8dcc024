import type { ToolDefinition } from "./tool.ts"
import { bashTool } from "./bash.ts"
import { editTool } from "./edit.ts"
import { globTool } from "./glob.ts"
import { grepTool } from "./grep.ts"
import { listTool } from "./list.ts"
import { readTool } from "./read.ts"
import { todoReadTool } from "./todoread.ts"
import { todoWriteTool } from "./todowrite.ts"
import { writeTool } from "./write.ts"

export { defineTool } from "./tool.ts"
export type { FileGuard, PermissionRequest, ShellSandbox, ToolContext, ToolDefinition, ToolResult, TodoStore } from "./tool.ts"
export { Todo } from "./todo-schema.ts"
export { resolveInside } from "./path.ts"
export { createFileGuardRegistry, StaleFileError } from "./file-guard.ts"
export { shellEnvironment, type ShellEnvironmentOptions } from "./shell-env.ts"
export type { FileGuardRegistry, FileGuardRegistryOptions, ReadRecordStore } from "./file-guard.ts"
export { bashTool, editTool, globTool, grepTool, listTool, readTool, todoReadTool, todoWriteTool, writeTool }

/**
 * Spool's built-in tools, named and shaped as OpenCode's (`bash`, `edit`, `glob`, `grep`, `list`, `read`,
 * `todoread`, `todowrite`, `write`), sorted by name. Returns a new array each call.
 */
export function builtinTools(): ToolDefinition[] {
  const tools: ToolDefinition[] = [
    bashTool,
    editTool,
    globTool,
    grepTool,
    listTool,
    readTool,
    todoReadTool,
    todoWriteTool,
    writeTool,
  ]
  return tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
