import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"

const MODULE = fileURLToPath(new URL("./unhandled-rejection.ts", import.meta.url))

/** Runs a child that installs the handler, leaves a rejection unhandled, then says it is still alive. */
async function run(nodeOptions: string[]) {
  const script = `const { keepServingOnUnhandledRejection } = await import(${JSON.stringify(MODULE)}); keepServingOnUnhandledRejection(); Promise.reject(new Error("boom")); setTimeout(() => console.log("still serving"), 50)`
  const child = spawn(process.execPath, [...nodeOptions, "--input-type=module", "-e", script], {
    env: { ...process.env, SPOOL_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const [code] = await once(child, "exit")
  return { code, stdout, stderr }
}

describe("keepServingOnUnhandledRejection", () => {
  test("an unhandled rejection is logged with its stack and a reference, and the process goes on", async () => {
    const { code, stdout, stderr } = await run([])
    expect(code).toBe(0)
    expect(stdout).toBe("still serving\n")
    const line = JSON.parse(stderr.trim().split("\n").at(-1)!)
    expect(line).toMatchObject({ level: 50, msg: expect.stringContaining("unhandled promise rejection"), ref: expect.stringMatching(/^rej_[0-9a-f]{8}$/) })
    expect(line.err).toMatchObject({ message: "boom", stack: expect.stringContaining("Error: boom") })
  })

  test("under --unhandled-rejections=strict (how the e2e tests run the server) the same rejection still ends the process", async () => {
    const { code, stdout, stderr } = await run(["--unhandled-rejections=strict"])
    expect(code).not.toBe(0)
    expect(stdout).toBe("")
    expect(stderr).toContain("boom")
  })
})
