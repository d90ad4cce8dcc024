import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * `GET /doc` documents the query parameters each route reads, derived from the zod schema its handler
 * validates with (`queryParameters`), so the document cannot drift from what the server accepts.
 */
let spool: SpoolApp
type Parameter = { name: string; in: string; required?: boolean; description?: string; schema: Record<string, any> }
type Document = { paths: Record<string, Record<string, { parameters?: Parameter[] }>> }
let document: Document

beforeAll(async () => {
  spool = await startSpoolApp()
  const response = await spool.fetch("/doc")
  expect(response.status).toBe(200)
  document = (await response.json()) as Document
})

afterAll(async () => {
  await spool?.close()
})

function queryOf(method: string, path: string): Record<string, Parameter> {
  const operation = document.paths[path]?.[method]
  expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined()
  return Object.fromEntries((operation!.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => [parameter.name, parameter]))
}

describe("GET /doc query parameters", () => {
  test("GET /session: every filter, the cursor and limit, with types and descriptions", () => {
    const query = queryOf("get", "/session")
    expect(Object.keys(query).sort()).toEqual(["archived", "before", "directory", "limit", "roots", "search", "start"])
    expect(query.limit.schema).toMatchObject({ type: "integer", minimum: 0 })
    expect(query.limit.schema.maximum ?? Number.MAX_SAFE_INTEGER).toBe(Number.MAX_SAFE_INTEGER)
    expect(query.roots.schema.enum).toEqual(expect.arrayContaining(["true", "false"]))
    expect(query.start.schema.type).toBe("number")
    for (const parameter of Object.values(query)) {
      expect(parameter.required).toBe(false)
      expect(parameter.description, parameter.name).toBeTruthy()
    }
  })

  test("the other routes that read the query", () => {
    expect(Object.keys(queryOf("get", "/session/{sessionID}/message")).sort()).toEqual(["before", "limit"])
    expect(Object.keys(queryOf("get", "/session/{sessionID}/diff"))).toEqual(["messageID"])
    expect(Object.keys(queryOf("post", "/session"))).toEqual(["directory"])
    expect(Object.keys(queryOf("get", "/event"))).toEqual(["directory"])
    expect(Object.keys(queryOf("get", "/permission"))).toEqual(["directory"])
  })

  test("the TUI's routes: typed parameters from the schemas their handlers validate with", () => {
    const fileSearch = queryOf("get", "/find/file")
    expect(Object.keys(fileSearch).sort()).toEqual(["directory", "dirs", "limit", "query", "type"])
    expect(fileSearch.limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
    expect(fileSearch.type.schema.enum).toEqual(["file", "directory"])
    expect(fileSearch.dirs.schema.enum).toEqual(["true", "false"])
    expect(Object.keys(queryOf("get", "/api/fs/find")).sort()).toEqual(["directory", "limit", "query", "type"])
    for (const path of ["/path", "/project", "/project/current", "/vcs", "/api/location", "/api/agent"]) expect(Object.keys(queryOf("get", path)), path).toEqual(["directory"])
    for (const parameter of [...Object.values(fileSearch), ...Object.values(queryOf("get", "/path"))]) {
      expect(parameter.required, parameter.name).toBe(false)
      expect(parameter.description, parameter.name).toBeTruthy()
    }
  })

  test("route sources: each schema a handler validates the query with is the one its route documents", () => {
    const dir = join(import.meta.dirname, "../../src/server/routes")
    const documented = new Set(Object.values(document.paths).flatMap((methods) => Object.values(methods).flatMap((operation) => (operation.parameters ?? []).map((parameter) => parameter.name))))
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))) {
      const source = readFileSync(join(dir, file), "utf8")
      for (const [, schema] of source.matchAll(/queryParams\(c, (\w+)\)/g)) expect(source, `${file}: doc({query: ${schema}})`).toMatch(new RegExp(`query: ${schema}\\b`))
      for (const [, name] of source.matchAll(/c\.req\.query\("(\w+)"\)/g)) expect(documented.has(name), `${file} reads ?${name}=`).toBe(true)
    }
  })
})
