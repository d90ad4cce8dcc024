import { z } from "zod"
import { defineTool } from "./tool.ts"
import { Todo } from "./todo-schema.ts"

const DESCRIPTION = `Create or update the session's todo list. Use it to plan and track multi-step work so the user can follow progress.

- Use it for tasks with three or more distinct steps, when the user gives several tasks, or when new requirements come up. Skip it for a single trivial step.
- Send the complete list every time: it replaces the previous one.
- Each todo has content (a short imperative description), status (pending, in_progress, completed, cancelled) and priority (high, medium, low).
- Keep exactly one todo in_progress while working. Mark a todo completed as soon as it is done, not in batches; cancel todos that no longer apply.
- Only mark a todo completed when it is fully done (tests pass, no unresolved errors).`

const parameters = z.object({
  todos: z.array(Todo).describe("The updated todo list"),
})

/** OpenCode's todo tool title: the number of todos not yet completed. */
export function todoTitle(todos: readonly Todo[]): string {
  return `${todos.filter((todo) => todo.status !== "completed").length} todos`
}

/**
 * `todowrite` — replaces the session's todo list. Mirrors OpenCode `packages/opencode/src/tool/todo.ts`
 * (`TodoWriteTool`).
 *
 * Input: `{ todos: Array<{ content, status, priority }> }` (the whole list).
 * Effect: `ctx.todos.write(todos)`.
 * Output: `JSON.stringify(todos, null, 2)`; title: `${count of todos whose status is not "completed"} todos`;
 * metadata: `{ todos }`.
 * Errors: whatever the todo store throws.
 */
export const todoWriteTool = defineTool({
  name: "todowrite",
  readOnly: true,
  description: DESCRIPTION,
  parameters,
  async execute(args, ctx) {
    await ctx.ask({ permission: "todowrite", patterns: ["*"], always: ["*"], metadata: {} })
    await ctx.todos.write(args.todos)
    return {
      title: todoTitle(args.todos),
      output: JSON.stringify(args.todos, null, 2),
      metadata: { todos: args.todos },
    }
  },
})
