import { describe, expect, test } from "vitest"
import { shellEnvironment, userPath } from "./shell-env.ts"

describe("shellEnvironment", () => {
  const root = "/opt/tools/spool"
  test("PATH loses Spool's node_modules entries, its ancestors' .bin and npm's node-gyp-bin, keeps the rest in order", () => {
    const path = [
      "/opt/tools/spool/node_modules/.bin",
      "/opt/tools/node_modules/.bin",
      "/opt/node_modules/.bin",
      "/node_modules/.bin",
      "/opt/tools/spool/node_modules/node/bin",
      "/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin",
      "/home/me/project/node_modules/.bin",
      "/usr/local/bin",
      "/usr/bin",
    ].join(":")
    expect(userPath(path, root)).toBe("/home/me/project/node_modules/.bin:/usr/local/bin:/usr/bin")
  })

  test("drops npm_*, npm's script variables, SPOOL_* and provider keys; keeps passed names and the user's own", () => {
    const env = {
      PATH: "/opt/tools/spool/node_modules/.bin:/usr/bin",
      npm_lifecycle_event: "spool",
      NPM_CONFIG_PREFIX: "/x",
      NODE: "/opt/tools/spool/node_modules/node/bin/node",
      INIT_CWD: "/opt/tools/spool",
      COLOR: "0",
      SPOOL_SERVER_PASSWORD: "pw",
      ANTHROPIC_API_KEY: "a",
      OPENAI_API_KEY: "o",
      OPENCODE_SERVER_PASSWORD: "p",
      FROM_CONFIG: "configured-key",
      NODE_OPTIONS: "--max-old-space-size=4096",
      HOME: "/home/me",
      UNSET: undefined,
    }
    expect(shellEnvironment(env, { spoolRoot: root, pass: ["OPENAI_API_KEY"], secrets: ["configured-key", ""] })).toEqual({
      PATH: "/usr/bin",
      OPENAI_API_KEY: "o",
      NODE_OPTIONS: "--max-old-space-size=4096",
      HOME: "/home/me",
    })
  })

  test("outside an npm script NODE, INIT_CWD and COLOR are the user's", () => {
    expect(shellEnvironment({ NODE: "/usr/bin/node", COLOR: "1", INIT_CWD: "/w" }, { spoolRoot: root })).toEqual({ NODE: "/usr/bin/node", COLOR: "1", INIT_CWD: "/w" })
  })
})
