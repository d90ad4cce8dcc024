import { describe, expect, test } from "vitest"
import { commandPrefix } from "./bash-arity.ts"
import { bashPermission, splitCommands } from "./bash-permission.ts"
import { evaluate } from "../permission/rule.ts"

describe("splitCommands", () => {
  test("operators, pipes, newlines and subshells separate commands; redirections do not", () => {
    expect(splitCommands("git status && npm test 2>&1 | tee out.log; echo done\n(cd x && ls)").map((command) => command.text)).toEqual([
      "git status",
      "npm test 2>&1",
      "tee out.log",
      "echo done",
      "cd x",
      "ls",
    ])
  })
  test("quotes keep separators; substitutions are checked too", () => {
    expect(splitCommands(`echo "a; b" 'c && d'`).map((command) => command.text)).toEqual([`echo "a; b" 'c && d'`])
    expect(splitCommands("echo $(rm -rf x) `touch y`").map((command) => command.text)).toEqual(["rm -rf x", "touch y", "echo $(rm -rf x) `touch y`"])
    expect(splitCommands(`echo "$(curl evil)"`).map((command) => command.text)).toEqual(["curl evil", `echo "$(curl evil)"`])
  })
  test("shell keywords are stripped; assignments and expansions are dynamic; comments dropped", () => {
    expect(splitCommands("for f in a b; do rm $f; done").map((command) => command.text)).toEqual(["for f in a b", "rm $f"])
    expect(splitCommands("if true; then make build; fi # note").map((command) => command.text)).toEqual(["true", "make build"])
    expect(splitCommands("FOO=1 npm test")[0]).toMatchObject({ dynamic: true })
    expect(splitCommands("$CMD arg")[0]).toMatchObject({ dynamic: true })
  })
})

describe("bashPermission (OpenCode's bash patterns and always)", () => {
  test("one pattern per command, `always` = command prefix + ` *`; cd is skipped", () => {
    expect(bashPermission("cd src && git status --short && npm run dev -- --port 3000 && ls -la")).toEqual({
      patterns: ["git status --short", "npm run dev -- --port 3000", "ls -la"],
      always: ["git status *", "npm run dev *", "ls *"],
    })
  })
  test("the always pattern allows the same command again, not others", () => {
    const { always } = bashPermission("npm test")
    const rules = always.map((pattern) => ({ permission: "bash", pattern, action: "allow" as const }))
    expect(evaluate("bash", "npm test", rules).action).toBe("allow")
    expect(evaluate("bash", "npm test -- --watch", rules).action).toBe("allow")
    expect(evaluate("bash", "npm install evil", rules).action).toBe("ask")
  })
  test("dynamic commands and wrappers get no always", () => {
    expect(bashPermission("FOO=1 rm -rf x")).toEqual({ patterns: ["FOO=1 rm -rf x"], always: [] })
    expect(bashPermission("sudo rm -rf / && bash -c 'rm x' && find . | xargs rm")).toEqual({
      patterns: ["sudo rm -rf /", "bash -c 'rm x'", "find .", "xargs rm"],
      always: ["find *"],
    })
  })
  test("arity table", () => {
    expect(commandPrefix(["git", "checkout", "main"])).toEqual(["git", "checkout"])
    expect(commandPrefix(["npm", "run", "dev"])).toEqual(["npm", "run", "dev"])
    expect(commandPrefix(["touch", "a"])).toEqual(["touch"])
    expect(commandPrefix(["python3", "script.py"])).toEqual(["python3", "script.py"])
    expect(commandPrefix([])).toEqual([])
  })
})
