import { describe, expect, test } from "vitest"
import { excerpt, outcomeSuffix, toolInputSummary, toolOutcome, toolOutputText, type ToolPart } from "./tool-summary.ts"

function tool(name: string, state: ToolPart["state"]): ToolPart {
  return { id: "prt_1", sessionID: "ses_1", messageID: "msg_1", type: "tool", callID: "call_1", tool: name, state } as ToolPart
}
const time = { start: 1, end: 2 }

describe("tool summaries for the CLI", () => {
  test("a bash command that exited non-zero or was killed is a failure; exit 0 and other tools' results are not", () => {
    const bash = (exit: number | null) => tool("bash", { status: "completed", input: { command: "npm test" }, output: "", title: "t", metadata: { exit }, time })
    expect(toolOutcome(bash(0))).toEqual({ ok: true })
    expect(toolOutcome(bash(1))).toEqual({ ok: false, exit: 1 })
    expect(outcomeSuffix(toolOutcome(bash(2))!)).toBe(" (exit 2)")
    expect(toolOutcome(bash(null))).toEqual({ ok: false, killed: true })
    expect(toolOutcome(tool("read", { status: "completed", input: {}, output: "", title: "t", metadata: { exit: 1 }, time }))).toEqual({ ok: true })
    expect(toolOutcome(tool("edit", { status: "error", input: {}, error: "boom", time }))).toEqual({ ok: false })
    expect(toolOutcome(tool("edit", { status: "running", input: {}, time: { start: 1 } }))).toBeUndefined()
  })

  test("inputs: bash as `$ command` on one line, others as JSON, cut with …", () => {
    expect(toolInputSummary(tool("bash", { status: "running", input: { command: "cd a &&\n  make" }, time: { start: 1 } }))).toBe("$ cd a && ⏎ make")
    expect(toolInputSummary(tool("read", { status: "running", input: { filePath: "a.ts" }, time: { start: 1 } }))).toBe('{"filePath":"a.ts"}')
    expect(toolInputSummary(tool("write", { status: "running", input: { content: "x".repeat(200) }, time: { start: 1 } }), 20)).toBe('{"content":"xxxxxxx…')
  })

  test("outputs: bash's plain output, the read tool's markup and bash_metadata removed; an excerpt says how much more", () => {
    const read = tool("read", { status: "completed", input: {}, output: "<path>/a.ts</path>\n<type>file</type>\n<content>\n1: one\n2: two\n</content>", title: "a.ts", metadata: {}, time })
    expect(toolOutputText(read)).toBe("1: one\n2: two")
    const bash = tool("bash", { status: "completed", input: {}, output: "x\n\n<bash_metadata>\nCommand exited with code 1\n</bash_metadata>", title: "t", metadata: { output: "x\n", exit: 1 }, time })
    expect(toolOutputText(bash)).toBe("x")
    expect(excerpt("a\n\nb\nc\nd\ne")).toEqual(["a", "b", "c", "… 2 more lines"])
    expect(excerpt("a\nb", 1)).toEqual(["a", "… 1 more line"])
    expect(excerpt("abcdef", 3, 4)).toEqual(["abc…"])
    expect(excerpt("  \n")).toEqual([])
  })
})
