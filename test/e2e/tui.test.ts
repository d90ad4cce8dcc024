import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { arch } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * OpenCode 1.18.33's own TUI (`opencode attach <url>`) against `spool serve` and the fake LLM, driven in
 * tmux and read back with `tmux capture-pane` (issue 9). Nothing is installed: OpenCode comes from
 * `$OPENCODE_INSTALL_DIR` or /tmp/oc (test/compat/start-opencode.sh installs it there); without it, or
 * without tmux, the test is skipped with a message.
 */
const INSTALL_DIR = process.env.OPENCODE_INSTALL_DIR || "/tmp/oc"
const OPENCODE = [`opencode-linux-${arch()}`, `opencode-linux-${arch()}-baseline`].map((name) => join(INSTALL_DIR, "node_modules", name, "bin", "opencode")).find((path) => existsSync(path))
const TMUX = spawnSync("tmux", ["-V"]).status === 0
if (!OPENCODE) console.warn(`skipping the TUI test: no OpenCode 1.18.33 under ${INSTALL_DIR} (see test/compat/start-opencode.sh; OPENCODE_INSTALL_DIR overrides)`)
else if (!TMUX) console.warn("skipping the TUI test: tmux is not installed")

/** Longest wait for the screen to show something (a safety net, not a measured time: the machine may be slow). */
const SCREEN_TIMEOUT_MS = 45_000

describe.skipIf(!OPENCODE || !TMUX)("OpenCode's TUI against Spool", () => {
  let llm: FakeLLM
  let spool: SpoolProcess
  let data: TempDir
  let repo: TempDir
  let home: TempDir
  const tmux = `spool-tui-${process.pid}`

  beforeAll(async () => {
    llm = await startFakeLLM()
    data = tempDir({ prefix: "spool-data-" })
    repo = tempDir({ git: true, files: { "README.md": "# tui\n", "spool.json": JSON.stringify({ permission: { bash: "ask" } }) } })
    home = tempDir({ prefix: "oc-home-" })
    spool = await startSpool({
      env: { SPOOL_DATA_DIR: data.path, XDG_CONFIG_HOME: data.path, ANTHROPIC_API_KEY: "test", ANTHROPIC_BASE_URL: llm.anthropicBaseURL },
      args: ["--model", "anthropic/claude-sonnet-4-5", "--dir", repo.path],
    })
    // OpenCode isolated and offline (as test/compat/start-opencode.sh runs it).
    const env = {
      HOME: home.path,
      ...Object.fromEntries(["config", "data", "cache", "state"].map((name) => [`XDG_${name.toUpperCase()}_HOME`, join(home.path, name)])),
      OPENCODE_DISABLE_AUTOUPDATE: "1",
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_DISABLE_SHARE: "1",
      OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
      OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
      OPENCODE_DISABLE_CLAUDE_CODE: "1",
      npm_config_registry: "http://127.0.0.1:1/",
      TERM: "xterm-256color",
      PATH: "/usr/local/bin:/usr/bin:/bin",
    }
    execFileSync("tmux", ["new-session", "-d", "-s", tmux, "-x", "150", "-y", "50", "-c", repo.path, "env", "-i", ...Object.entries(env).map(([key, value]) => `${key}=${value}`), OPENCODE!, "attach", spool.url, "--dir", repo.path])
  })

  afterAll(async () => {
    spawnSync("tmux", ["kill-session", "-t", tmux])
    await spool?.stop()
    await llm?.close()
    for (const dir of [data, repo, home]) dir?.cleanup()
  })

  const screen = () => execFileSync("tmux", ["capture-pane", "-p", "-t", tmux], { encoding: "utf8" })
  /** Waits until the screen matches; fails with the screen when it never does. */
  const showing = async (pattern: RegExp): Promise<string> => {
    const start = Date.now()
    for (;;) {
      const text = screen()
      if (pattern.test(text)) return text
      if (Date.now() - start > SCREEN_TIMEOUT_MS) throw new Error(`the TUI never showed ${pattern}; the screen:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const type = (text: string) => execFileSync("tmux", ["send-keys", "-t", tmux, "-l", text])
  const press = (...keys: string[]) => execFileSync("tmux", ["send-keys", "-t", tmux, ...keys])
  const api = async (path: string) => (await fetch(`${spool.url}${path}${path.includes("?") ? "&" : "?"}directory=${encodeURIComponent(repo.path)}`)).json() as Promise<any>
  const session = async () => (await api("/session"))[0]
  const messages = async () => (await api(`/session/${(await session()).id}/message`)) as Array<{ info: any; parts: any[] }>
  const until = async <T,>(check: () => Promise<T | undefined | false>, what: string): Promise<T> => {
    const start = Date.now()
    for (;;) {
      const value = await check()
      if (value) return value
      if (Date.now() - start > SCREEN_TIMEOUT_MS) throw new Error(`never: ${what}; the screen:\n${screen()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  test("start, streamed answer, @ file search, ! shell, permission dialog, abort (Esc), fork, undo", async () => {
    // Start: the four startup routes answered, the prompt box shows Spool's agent and model.
    await showing(/Ask anything/)
    expect(await showing(/Build\W+Claude Sonnet 4\.5/)).toContain("Anthropic")

    // A prompt streams its answer into the TUI.
    llm.script({ text: ["Streamed ", "answer ", "ZEBRA42"], delayMs: 30 })
    type("say hello")
    press("Enter")
    await showing(/Streamed answer ZEBRA42/)

    // `!` shell mode (the input is empty after a turn): POST /session/:id/shell runs the command in the session directory, no model call.
    const requests = llm.requests.length
    type("!")
    await new Promise((resolve) => setTimeout(resolve, 300)) // the input switches to shell mode
    type("echo SHELL$((6*7))")
    press("Enter")
    await showing(/SHELL42/)
    const shell = await until(async () => (await messages()).flatMap((message) => message.parts).find((part) => part.type === "tool" && part.state.input.command === "echo SHELL$((6*7))" && part.state.status === "completed"), "the shell command recorded")
    expect(shell.state.output).toContain("SHELL42")
    expect(llm.requests.length).toBe(requests)

    // `@` mentions: the file search route fills the completion list.
    type("@READ")
    await showing(/README\.md/)
    press("Escape")
    // Whatever is left in the input only prefixes the next prompt (the fake LLM answers in script order).
    press("BSpace", "BSpace", "BSpace", "BSpace", "BSpace")

    // A bash call under `permission: {bash: "ask"}`: the TUI's approval dialog, Enter = "Allow once",
    // the reply reaches Spool and the command runs.
    llm.script({ toolCalls: [{ name: "bash", input: { command: "echo approved > approved.txt", description: "Write approved.txt" } }] }, { text: "Bash done BISON7" })
    type("run the command")
    press("Enter")
    const dialog = await showing(/Permission required/)
    expect(dialog).toContain("echo approved > approved.txt")
    expect(dialog).toMatch(/Allow once\s+Allow always\s+Reject/)
    const pending = (await (await fetch(`${spool.url}/permission`)).json()) as Array<{ permission: string }>
    expect(pending.map((request) => request.permission)).toEqual(["bash"])
    press("Enter")
    await showing(/Bash done BISON7/)
    expect(readFileSync(join(repo.path, "approved.txt"), "utf8")).toBe("approved\n")

    // Esc twice interrupts a turn that would never end.
    llm.script({ text: "Working on it LLAMA3", hang: true })
    type("keep going")
    press("Enter")
    await showing(/Working on it LLAMA3/)
    press("Escape")
    await new Promise((resolve) => setTimeout(resolve, 300))
    press("Escape")
    await showing(/interrupted/)
    const aborted = await until(async () => {
      const last = (await messages()).at(-1)!
      return last.info.role === "assistant" && last.info.error ? last.info : undefined
    }, "the turn ended with an error")
    expect(aborted.error.name).toBe("MessageAbortedError")
    expect(await api("/session/status")).toEqual({})

    // /fork: a new session with the whole conversation.
    const original = await session()
    type("/fork")
    await showing(/\/fork/)
    press("Enter")
    // The fork dialog: "Full session" (selected) or a message to fork at.
    await showing(/Fork session[\s\S]*Full session/)
    press("Enter")
    const forked = await until(async () => ((await api("/session")) as any[]).find((info) => info.id !== original.id), "a forked session")
    expect(forked.title).toContain("fork")

    // /undo in the forked session: its last prompt is reverted.
    await showing(/keep going/)
    type("/undo")
    await showing(/\/undo/)
    press("Enter")
    await showing(/message reverted/)
    const reverted = await until(async () => ((await api("/session")) as any[]).find((info) => info.id === forked.id && info.revert), "the fork reverted")
    expect(reverted.revert.messageID).toMatch(/^msg_/)
  }, 180_000)
})
