import { z } from "zod"

/**
 * One entry of a session's todo list, as OpenCode's `Todo` (`todo.updated` event, `GET /session/:id/todo`).
 * `status`: pending | in_progress | completed | cancelled; `priority`: high | medium | low.
 */
export const Todo = z
  .object({
    content: z.string().describe("Brief description of the task"),
    status: z.string().describe("Current status of the task: pending, in_progress, completed, cancelled"),
    priority: z.string().describe("Priority level of the task: high, medium, low"),
  })
  .meta({ id: "Todo" })
export type Todo = z.infer<typeof Todo>
