import { expect, test } from "vitest"
import { allowHint, describeRequest, parseChoice } from "./approve.ts"

const request = { id: "per_1", sessionID: "ses_1", permission: "bash", patterns: ["npm test"], metadata: { command: "npm test" }, always: ["npm test *"] }

test("choices: o/once/y → once, a/always → always, anything else rejects", () => {
  expect(["o", "once", " Y "].map(parseChoice)).toEqual(["once", "once", "once"])
  expect(["a", "ALWAYS"].map(parseChoice)).toEqual(["always", "always"])
  expect(["", "r", "no", "x"].map(parseChoice)).toEqual(["reject", "reject", "reject", "reject"])
})

test("the request line and the spool.json hint", () => {
  expect(describeRequest(request)).toBe("bash: npm test")
  expect(describeRequest({ ...request, permission: "edit", patterns: ["src/a.ts"], metadata: {}, always: ["*"] })).toBe("edit: src/a.ts")
  expect(allowHint(request)).toBe('"permission": {"bash":{"npm test *":"allow"}}')
  expect(allowHint({ ...request, permission: "read", always: ["*"] })).toBe('"permission": {"read":"allow"}')
})
