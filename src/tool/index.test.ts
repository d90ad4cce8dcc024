import { describe, expect, test } from "vitest"
import { z } from "zod"
import { builtinTools } from "./index.ts"

describe("builtinTools", () => {
  test("OpenCode's tool names, sorted", () => {
    expect(builtinTools().map((t) => t.name)).toEqual([
      "bash", "edit", "glob", "grep", "list", "read", "todoread", "todowrite", "write",
    ])
  })

  test("OpenCode's input field names", () => {
    const fields = Object.fromEntries(
      builtinTools().map((tool) => {
        const schema = z.toJSONSchema(tool.parameters, { io: "input" }) as { properties?: object; required?: string[] }
        return [tool.name, { properties: Object.keys(schema.properties ?? {}).sort(), required: (schema.required ?? []).sort() }]
      }),
    )
    expect(fields).toEqual({
      bash: { properties: ["command", "description", "timeout", "workdir"], required: ["command", "description"] },
      edit: { properties: ["filePath", "newString", "oldString", "replaceAll"], required: ["filePath", "newString", "oldString"] },
      glob: { properties: ["path", "pattern"], required: ["pattern"] },
      grep: { properties: ["include", "path", "pattern"], required: ["pattern"] },
      list: { properties: ["ignore", "path"], required: [] },
      read: { properties: ["filePath", "limit", "offset"], required: ["filePath"] },
      todoread: { properties: [], required: [] },
      todowrite: { properties: ["todos"], required: ["todos"] },
      write: { properties: ["content", "filePath"], required: ["content", "filePath"] },
    })
  })

  test("every tool has a description", () => {
    for (const tool of builtinTools()) expect(tool.description.length).toBeGreaterThan(40)
  })
})
