import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, test } from "vitest"
import { findImports, loadInstructions, walkUp } from "./index.ts"

/** A fresh temp dir with `files` (path → content) written under it. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "spool-instr-"))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

/** loadInstructions with `home` and env isolated inside `root`. */
function load(root: string, directory: string, instructions?: string[]) {
  return loadInstructions({
    directory: join(root, directory),
    worktree: join(root, "repo"),
    config: { instructions },
    home: join(root, "home"),
    env: {},
  })
}

describe("discovery", () => {
  test("every AGENTS.md from the session directory up to the worktree, emitted root first; CLAUDE.md then ignored", async () => {
    const root = tree({
      "AGENTS.md": "outside the worktree",
      "repo/AGENTS.md": "root rules\n",
      "repo/a/CLAUDE.md": "claude, ignored",
      "repo/a/b/AGENTS.md": "b rules",
      "repo/a/b/c/.keep": "",
      "repo/other/AGENTS.md": "sibling, ignored",
    })
    const result = await load(root, "repo/a/b/c")
    expect(result.files.map((file) => file.path)).toEqual([join(root, "repo/AGENTS.md"), join(root, "repo/a/b/AGENTS.md")])
    expect(result.text).toBe(
      `Instructions from: ${root}/repo/AGENTS.md\nroot rules\n\nInstructions from: ${root}/repo/a/b/AGENTS.md\nb rules`,
    )
    expect(result.problems).toEqual([])
  })

  test("falls back to CLAUDE.md when no AGENTS.md exists on the path", async () => {
    const root = tree({ "repo/CLAUDE.md": "top", "repo/a/CLAUDE.md": "nested", "repo/a/b/.keep": "" })
    const result = await load(root, "repo/a/b")
    expect(result.files.map((file) => file.content)).toEqual(["top", "nested"])
  })

  test("global files come first: ~/.claude/CLAUDE.md, then the Spool config dir's AGENTS.md", async () => {
    const root = tree({
      "home/.claude/CLAUDE.md": "claude global",
      "home/.config/spool/AGENTS.md": "spool global",
      "xdg/spool/AGENTS.md": "xdg global",
      "repo/AGENTS.md": "project",
    })
    const result = await load(root, "repo")
    expect(result.files.map((file) => file.content)).toEqual(["claude global", "spool global", "project"])
    const xdg = await loadInstructions({ directory: join(root, "repo"), worktree: join(root, "repo"), home: join(root, "home"), env: { XDG_CONFIG_HOME: join(root, "xdg") } })
    expect(xdg.files.map((file) => file.content)).toEqual(["claude global", "xdg global", "project"])
  })

  test("config globs: relative ones from every directory worktree→session, ~/ and absolute as is, de-duplicated", async () => {
    const root = tree({
      "repo/AGENTS.md": "project",
      "repo/rules/b.md": "rb",
      "repo/rules/a.md": "ra",
      "repo/sub/rules/c.md": "rc",
      "repo/sub/dir/.keep": "",
      "home/notes/n.md": "home note",
      "abs/x.md": "absolute",
      "abs/y.txt": "not matched",
    })
    const result = await load(root, "repo/sub/dir", [
      "rules/*.md",
      "~/notes/*.md",
      `${root}/abs/*.md`,
      "rules/a.md",
      "AGENTS.md",
      "https://example.com/rules.md",
      "nothing/*.md",
    ])
    expect(result.files.map((file) => file.content)).toEqual(["ra", "rb", "rc", "home note", "absolute", "project"])
    expect(result.problems).toEqual([
      { path: "https://example.com/rules.md", message: "instructions: URLs are not supported; pattern skipped" },
      { path: "nothing/*.md", message: "instructions: pattern matches no file" },
    ])
  })

  test("empty files are skipped; the result is byte-identical across calls", async () => {
    const root = tree({ "repo/AGENTS.md": "  \n", "repo/docs/a.md": "a", "repo/docs/b.md": "b" })
    const first = await load(root, "repo", ["docs/*.md"])
    const second = await load(root, "repo", ["docs/*.md"])
    expect(first.files.map((file) => file.content)).toEqual(["a", "b"])
    expect(second).toEqual(first)
  })

  test("outside the worktree only the directory itself is searched; walkUp stops at the worktree", () => {
    expect(walkUp("/w/a/b", "/w")).toEqual(["/w/a/b", "/w/a", "/w"])
    expect(walkUp("/elsewhere/x", "/w")).toEqual(["/elsewhere/x"])
    expect(walkUp("/w/a", "/")).toEqual(["/w/a", "/w", "/"])
  })
})

describe("imports", () => {
  test("findImports: line start or after whitespace, path-like, not in code, not emails", () => {
    const text = [
      "@docs/style.md and see @./b.md.",
      "mail bob@example.com, ask @alice, escaped \\@x.md, (@paren.md)",
      "inline `@code/span.md` and ``@two `ticks`.md`` but @after.md",
      "````md",
      "@fenced.md",
      "```",
      "still fenced @inner.md",
      "````",
      "~~~",
      "@tilde.md",
      "~~~",
      "  @~/home.md @/abs/file.txt",
    ].join("\n")
    expect(findImports(text)).toEqual(["docs/style.md", "./b.md", "after.md", "~/home.md", "/abs/file.txt"])
  })

  test("resolved relative to the importing file, inlined after it, each file once", async () => {
    const root = tree({
      "repo/AGENTS.md": "Top. Style: @docs/style.md\nAgain: @docs/style.md\n",
      "repo/docs/style.md": "Style rules, see @../shared/x.md",
      "repo/shared/x.md": "X\n",
      "home/.claude/CLAUDE.md": "global imports @~/g.md",
      "home/g.md": "G",
    })
    const result = await load(root, "repo")
    expect(result.text).toBe(
      [
        `Instructions from: ${root}/home/.claude/CLAUDE.md`,
        "global imports @~/g.md",
        "",
        `Instructions from: ${root}/home/g.md`,
        "G",
        `Instructions from: ${root}/repo/AGENTS.md`,
        "Top. Style: @docs/style.md",
        "Again: @docs/style.md",
        "",
        `Instructions from: ${root}/repo/docs/style.md`,
        "Style rules, see @../shared/x.md",
        "",
        `Instructions from: ${root}/repo/shared/x.md`,
        "X",
      ].join("\n"),
    )
    expect(result.files[1].imports).toEqual([join(root, "repo/docs/style.md"), join(root, "repo/shared/x.md")])
    expect(result.problems).toEqual([])
  })

  test("at most 5 hops; deeper imports are reported, not followed", async () => {
    const files: Record<string, string> = { "repo/AGENTS.md": "level 0 @f1.md" }
    for (let i = 1; i <= 7; i++) files[`repo/f${i}.md`] = `level ${i} @f${i + 1}.md`
    const root = tree(files)
    const result = await load(root, "repo")
    expect(result.files[0].imports.map((path) => path.slice(root.length))).toEqual(["/repo/f1.md", "/repo/f2.md", "/repo/f3.md", "/repo/f4.md", "/repo/f5.md"])
    expect(result.text).toContain("level 5 @f6.md")
    expect(result.text).not.toContain("level 6")
    expect(result.problems).toEqual([
      { path: join(root, "repo/f5.md"), message: `import @f6.md skipped: more than 5 hops from ${join(root, "repo/AGENTS.md")}` },
    ])
  })

  test("cycles and missing files are reported, never fatal", async () => {
    const root = tree({
      "repo/AGENTS.md": "A @a.md @missing.md @./gone @tanstack/query @AGENTS.md",
      "repo/a.md": "a imports @b.md",
      "repo/b.md": "b imports @a.md",
    })
    const result = await load(root, "repo")
    const agents = join(root, "repo/AGENTS.md")
    const a = join(root, "repo/a.md")
    const b = join(root, "repo/b.md")
    expect(result.files[0].imports).toEqual([a, b])
    expect(result.problems).toEqual([
      { path: b, message: `import @a.md skipped: cycle ${a} -> ${b} -> ${a}` },
      { path: agents, message: `import @missing.md skipped: ${join(root, "repo/missing.md")} not found` },
      { path: agents, message: `import @./gone skipped: ${join(root, "repo/gone")} not found` },
      { path: agents, message: `import @AGENTS.md skipped: cycle ${agents} -> ${agents}` },
    ])
  })

  test("imports inside code fences are not followed", async () => {
    const root = tree({ "repo/AGENTS.md": "```\n@secret.md\n```\n", "repo/secret.md": "SECRET" })
    const result = await load(root, "repo")
    expect(result.text).not.toContain("SECRET")
    expect(result.files[0].imports).toEqual([])
  })
})
