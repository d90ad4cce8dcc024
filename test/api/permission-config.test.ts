import fs from "node:fs"
import path from "node:path"
import { afterAll, beforeAll, expect, test } from "vitest"
import { startSpoolWithEvents } from "../fixture/spool-app.ts"

/** A project spool.json with OpenCode's `permission` key (top level and per agent) is accepted and enforced. */
let env: Awaited<ReturnType<typeof startSpoolWithEvents>>
const config = {
  permission: { bash: { "*": "ask", "git status*": "allow" }, edit: "deny" },
  agent: { careful: { permission: { read: "deny" } } },
}

beforeAll(async () => {
  env = await startSpoolWithEvents({ files: { "spool.json": JSON.stringify(config), "a.txt": "hello\n" } })
})
afterAll(() => env.close())

type Event = { type: string; properties: any }
const of = (sessionID: string, type: string) => (event: Event) => event.properties?.sessionID === sessionID && event.type === type

test("allowed commands run, others ask, denied tools are not offered", async () => {
  const { client, llm, events, spool } = env
  const sessionID = (await client.session.create({})).data!.id
  llm.script(
    { toolCalls: [{ name: "bash", input: { command: "git status --short > status.txt", description: "Status" } }] },
    { toolCalls: [{ name: "bash", input: { command: "touch asked.txt", description: "Touch" } }] },
    { text: "done" },
  )
  const answer = client.session.prompt({ sessionID, parts: [{ type: "text", text: "go" }] })
  const asked = await events.waitFor(of(sessionID, "permission.asked"))
  expect(asked.properties).toMatchObject({ permission: "bash", patterns: ["touch asked.txt"] })
  expect(fs.existsSync(path.join(spool.repo, "status.txt"))).toBe(true)
  const tools = (llm.requests.at(-1)!.body as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name)
  expect(tools).not.toContain("edit")
  expect(tools).not.toContain("write")
  await client.permission.reply({ requestID: asked.properties.id, reply: "reject" })
  await answer
  expect(fs.existsSync(path.join(spool.repo, "asked.txt"))).toBe(false)
  expect(events.events.filter(of(sessionID, "permission.asked"))).toHaveLength(1)
})

test("agent.<name>.permission applies to that agent's turns", async () => {
  const { client, llm } = env
  const sessionID = (await client.session.create({})).data!.id
  llm.script({ text: "cannot read" })
  await client.session.prompt({ sessionID, agent: "careful", parts: [{ type: "text", text: "read a.txt" }] })
  const tools = (llm.requests.at(-1)!.body as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name)
  expect(tools).not.toContain("read")
  expect(tools).toContain("grep")
})
