import { describe, expect, test } from "vitest"
import { todoReadTool } from "./todoread.ts"
import { todoWriteTool } from "./todowrite.ts"
import { memoryTodoStore, testContext } from "./test-context.ts"

const todos = [
  { content: "Write tests", status: "completed", priority: "high" },
  { content: "Implement read", status: "in_progress", priority: "high" },
  { content: "Docs", status: "pending", priority: "low" },
]

describe("todowrite / todoread", () => {
  test("todowrite stores the list; title counts non-completed todos", async () => {
    const store = memoryTodoStore()
    const ctx = testContext("/tmp", { todos: store })
    const result = await todoWriteTool.execute({ todos }, ctx)
    expect(store.current).toEqual(todos)
    expect(result).toEqual({ title: "2 todos", output: JSON.stringify(todos, null, 2), metadata: { todos } })
  })

  test("todoread returns the stored list in the same shape", async () => {
    const ctx = testContext("/tmp", { todos: memoryTodoStore(todos) })
    const result = await todoReadTool.execute({}, ctx)
    expect(result).toEqual({ title: "2 todos", output: JSON.stringify(todos, null, 2), metadata: { todos } })
    const empty = await todoReadTool.execute({}, testContext("/tmp"))
    expect(empty).toEqual({ title: "0 todos", output: "[]", metadata: { todos: [] } })
  })

  test("the schema rejects malformed todos", () => {
    expect(todoWriteTool.parameters.safeParse({ todos: [{ content: "x" }] }).success).toBe(false)
  })
})
