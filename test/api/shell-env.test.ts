import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { delimiter, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 9: the agent's `bash` runs with the user's environment, not Spool's. Spool is started as under
 * `npm run spool` (its `node_modules/.bin` and pinned Node first on PATH, npm's script variables set)
 * with its secrets in the environment; the command sees none of it, and `node` is the user's.
 */
describe("the bash tool's environment", () => {
  const root = resolve(fileURLToPath(new URL("../..", import.meta.url)))
  // The user's PATH: this process's, without any node_modules entry (vitest itself runs under npx).
  const userPath = (process.env.PATH ?? "").split(delimiter).filter((entry) => !entry.includes("node_modules") && !entry.includes("node-gyp-bin")).join(delimiter)
  const npmPath = [join(root, "node_modules", ".bin"), join(resolve(root, ".."), "node_modules", ".bin"), join(root, "node_modules", "node", "bin"), "/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin", userPath].join(delimiter)
  let llm: FakeLLM
  let spool: SpoolApp
  let data: TempDir

  beforeAll(async () => {
    llm = await startFakeLLM()
    data = tempDir({ prefix: "spool-shell-env-" })
    const config = join(data.path, "spool.json")
    writeFileSync(
      config,
      JSON.stringify({
        snapshot: { enabled: false },
        shell: { passEnv: ["OPENAI_BASE_URL_PASSED", "OPENAI_API_KEY"] },
        provider: { custom: { options: { baseURL: "http://127.0.0.1:9/v1", apiKey: "{env:MY_PROVIDER_KEY}" } } },
      }),
    )
    spool = await startSpoolApp({
      llm,
      env: {
        PATH: npmPath,
        SPOOL_CONFIG: config,
        SPOOL_LOG_LEVEL: "silent",
        ANTHROPIC_API_KEY: "sk-ant-secret-of-spool",
        OPENAI_API_KEY: "sk-openai-passed-on-purpose",
        MY_PROVIDER_KEY: "custom-secret-value",
        OPENCODE_SERVER_USERNAME: "spool-user",
        npm_lifecycle_event: "spool",
        npm_lifecycle_script: "node src/cli/main.ts",
        npm_package_name: "spool",
        npm_config_user_agent: "npm/11",
        npm_execpath: "/usr/lib/node_modules/npm/bin/npm-cli.js",
        NODE: join(root, "node_modules", "node", "bin", "node"),
        INIT_CWD: root,
        NODE_OPTIONS: "--no-deprecation",
        USER_OWN_VARIABLE: "kept",
      },
    })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    data?.cleanup()
  })

  test("none of Spool's PATH entries, npm variables or secrets; node is the user's", async () => {
    const client = spool.client()
    const sessionID = (await client.session.create({ title: "env" })).data!.id
    const command = 'echo "PATH=$PATH"; env; echo "NODE_AT=$(command -v node || echo none)"; echo "NODE_VERSION=$(node --version 2>&1 || echo none)"'
    llm.script({ toolCalls: [{ name: "bash", input: { command, description: "Show the environment" } }] }, { text: "done" })
    await client.session.prompt({ sessionID, parts: [{ type: "text", text: "env" }] })
    const messages = (await client.session.messages({ sessionID })).data!
    const part = messages.flatMap((message) => message.parts).find((candidate) => candidate.type === "tool")
    expect(part).toMatchObject({ tool: "bash", state: { status: "completed" } })
    const output = part?.type === "tool" && part.state.status === "completed" ? part.state.output : ""
    const lines = output.split("\n")

    expect(lines).toContain(`PATH=${userPath}`)
    expect(output).not.toContain("node_modules")
    expect(output).not.toContain("node-gyp-bin")
    expect(lines.filter((line) => /^npm_/i.test(line))).toEqual([])
    for (const name of ["SPOOL_CONFIG", "SPOOL_LOG_LEVEL", "ANTHROPIC_API_KEY", "OPENCODE_SERVER_USERNAME", "MY_PROVIDER_KEY", "NODE", "INIT_CWD"]) {
      expect(lines.filter((line) => line.startsWith(`${name}=`))).toEqual([])
    }
    expect(output).not.toContain("sk-ant-secret-of-spool")
    expect(output).not.toContain("custom-secret-value")
    // Passed on purpose (`shell.passEnv`), and the user's own variables, NODE_OPTIONS included.
    expect(lines).toContain("OPENAI_API_KEY=sk-openai-passed-on-purpose")
    expect(lines).toContain("USER_OWN_VARIABLE=kept")
    expect(lines).toContain("NODE_OPTIONS=--no-deprecation")

    // `node` is whatever the user's PATH has (or none), never Spool's pinned Node.
    const userNode = (() => {
      try {
        return execFileSync("/bin/sh", ["-c", "command -v node"], { env: { PATH: userPath }, encoding: "utf8" }).trim()
      } catch {
        return "none"
      }
    })()
    expect(lines).toContain(`NODE_AT=${userNode}`)
    if (userNode !== "none") {
      const version = execFileSync(userNode, ["--version"], { env: { PATH: userPath }, encoding: "utf8" }).trim()
      expect(lines).toContain(`NODE_VERSION=${version}`)
    }
  })
})
