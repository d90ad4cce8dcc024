import { afterAll, beforeAll, expect, test } from "vitest"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 8, "Faults": `spool serve` outlives a promise rejection nobody handled (a bug), logging it with
 * a reference. The rejection is planted from outside: a module preloaded with `--import` rejects a
 * promise when the process gets SIGUSR2, after the server is listening.
 */

const PLANT = `data:text/javascript,${encodeURIComponent('process.on("SIGUSR2", () => { Promise.reject(new Error("planted rejection")) })')}`

let spool: SpoolProcess
let data: TempDir

beforeAll(async () => {
  data = tempDir({ prefix: "spool-data-" })
  spool = await startSpool({
    env: { SPOOL_DATA_DIR: data.path, XDG_CONFIG_HOME: data.path, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${PLANT}`.trim() },
  })
})

afterAll(async () => {
  await spool?.stop()
  data?.cleanup()
})

test("an unhandled rejection is logged loudly with a reference and the server keeps serving", async () => {
  spool.child.kill("SIGUSR2")
  const start = Date.now()
  while (!spool.stderr().includes("planted rejection") && Date.now() - start < 10_000) await new Promise((resolve) => setTimeout(resolve, 10))
  const line = JSON.parse(spool.stderr().split("\n").find((text) => text.includes("planted rejection"))!)
  expect(line).toMatchObject({ level: 50, msg: expect.stringContaining("unhandled promise rejection"), ref: expect.stringMatching(/^rej_/), err: { message: "planted rejection" } })
  expect(spool.child.exitCode).toBeNull()
  const created = await spool.client(data.path).session.create({ title: "still here" })
  expect(created.response.status).toBe(200)
})
