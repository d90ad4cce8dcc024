import fs from "node:fs"
import path from "node:path"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { bashTool } from "./bash.ts"
import { editTool } from "./edit.ts"
import { globTool } from "./glob.ts"
import { grepTool } from "./grep.ts"
import { listTool } from "./list.ts"
import { readTool } from "./read.ts"
import { tempDir, testContext, writeTree } from "./test-context.ts"
import { todoReadTool } from "./todoread.ts"
import { todoWriteTool } from "./todowrite.ts"
import type { PermissionRequest, ToolContext } from "./tool.ts"
import { writeTool } from "./write.ts"

/** Every built-in tool asks before it acts, with OpenCode's permission names and patterns. */
let dir: string
let cleanup: () => Promise<void>
let asked: PermissionRequest[]
const allow: ToolContext["ask"] = async (request) => void asked.push(request)
const refuse: ToolContext["ask"] = async (request) => {
  asked.push(request)
  throw new Error("refused by test")
}

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  asked = []
  await writeTree(dir, { "src/a.ts": "const a = 1\n", ".env": "SECRET=1\n" })
})
afterEach(() => cleanup())

describe("ask calls", () => {
  test("bash: one pattern per command, always = prefix + ` *`; a refusal runs nothing", async () => {
    const marker = path.join(dir, "marker")
    const command = `cd src && touch ${marker} && git status --short`
    await expect(bashTool.execute({ command, description: "Touch" }, testContext(dir, { ask: refuse }))).rejects.toThrow("refused by test")
    expect(asked).toEqual([{ permission: "bash", patterns: [`touch ${marker}`, "git status --short"], always: ["touch *", "git status *"], metadata: { command } }])
    expect(fs.existsSync(marker)).toBe(false)
    await bashTool.execute({ command: `touch ${marker}`, description: "Touch" }, testContext(dir, { ask: allow }))
    expect(fs.existsSync(marker)).toBe(true)
  })

  test("read: the path relative to the session directory", async () => {
    await expect(readTool.execute({ filePath: ".env" }, testContext(dir, { ask: refuse }))).rejects.toThrow("refused by test")
    expect(asked[0]).toEqual({ permission: "read", patterns: [".env"], always: ["*"], metadata: { filepath: path.join(dir, ".env") } })
  })

  test("write and edit ask for `edit` with the diff; a refusal changes nothing", async () => {
    await expect(writeTool.execute({ filePath: "src/new.ts", content: "x\n" }, testContext(dir, { ask: refuse }))).rejects.toThrow("refused by test")
    expect(asked[0]).toMatchObject({ permission: "edit", patterns: ["src/new.ts"], always: ["*"], metadata: { filepath: path.join(dir, "src/new.ts"), diff: expect.stringContaining("+x") } })
    expect(fs.existsSync(path.join(dir, "src/new.ts"))).toBe(false)

    await expect(editTool.execute({ filePath: "src/a.ts", oldString: "1", newString: "2" }, testContext(dir, { ask: refuse }))).rejects.toThrow("refused by test")
    expect(asked[1]).toMatchObject({ permission: "edit", patterns: ["src/a.ts"], metadata: { diff: expect.stringMatching(/-const a = 1\n\+const a = 2/) } })
    expect(fs.readFileSync(path.join(dir, "src/a.ts"), "utf8")).toBe("const a = 1\n")
  })

  test("an edit that cannot apply fails without asking", async () => {
    await expect(editTool.execute({ filePath: "src/a.ts", oldString: "missing", newString: "2" }, testContext(dir, { ask: refuse }))).rejects.toThrow("Could not find oldString")
    expect(asked).toEqual([])
  })

  test("list, glob, grep, todowrite, todoread", async () => {
    const context = testContext(dir, { ask: allow })
    await listTool.execute({ path: "src" }, context)
    await globTool.execute({ pattern: "**/*.ts" }, context)
    await grepTool.execute({ pattern: "const", include: "*.ts" }, context)
    await todoWriteTool.execute({ todos: [] }, context)
    await todoReadTool.execute({}, context)
    expect(asked.map((request) => [request.permission, request.patterns])).toEqual([
      ["list", ["src"]],
      ["glob", ["**/*.ts"]],
      ["grep", ["const"]],
      ["todowrite", ["*"]],
      ["todoread", ["*"]],
    ])
  })
})
