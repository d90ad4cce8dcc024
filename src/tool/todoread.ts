import { z } from "zod"
import { defineTool } from "./tool.ts"
import { todoTitle } from "./todowrite.ts"

const DESCRIPTION = `Read the session's current todo list. Takes no input. Use it to check what is pending or in progress before deciding what to do next.`

const parameters = z.object({})

/**
 * `todoread` — returns the session's todo list. Mirrors OpenCode's `TodoReadTool` (`tool/todo.ts`).
 *
 * Input: `{}`.
 * Output: `JSON.stringify(todos, null, 2)`; title: `${count of todos whose status is not "completed"} todos`;
 * metadata: `{ todos }`.
 * Errors: whatever the todo store throws.
 */
export const todoReadTool = defineTool({
  name: "todoread",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(_args, ctx) {
    await ctx.ask({ permission: "todoread", patterns: ["*"], always: ["*"], metadata: {} })
    const todos = await ctx.todos.read()
    return { title: todoTitle(todos), output: JSON.stringify(todos, null, 2), metadata: { todos } }
  },
})
