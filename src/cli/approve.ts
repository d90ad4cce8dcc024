import { createInterface } from "node:readline"
import type { BusEvent } from "../bus/index.ts"
import type { PermissionRegistry, PermissionReply, PermissionRequestInfo } from "../permission/index.ts"

/** What the approver needs from the app. */
export interface ApproverDeps {
  bus: { subscribe(listener: (event: BusEvent) => void): () => void }
  permissions: Pick<PermissionRegistry, "reply" | "sessionOf">
}

/** The terminal the approver talks to; `process.stdin`/`process.stderr` by default. */
export interface ApproverTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  output: NodeJS.WritableStream
}

/**
 * Answers `permission.asked` for one session of `spool run`, one request at a time:
 * - stdin is a terminal → shows the request on stderr and asks `[o]nce, [a]lways, [r]eject`
 *   (Enter = reject; Ctrl-C interrupts the run as usual, which aborts the turn and so the request);
 * - otherwise → rejects it, telling both the user (stderr) and the model that `spool run` could not ask,
 *   and how to allow it in spool.json.
 * Returns a function that stops listening.
 */
export function startTerminalApprover(deps: ApproverDeps, sessionID: string, terminal: ApproverTerminal = { input: process.stdin, output: process.stderr }): () => void {
  let queue: Promise<void> = Promise.resolve()
  const interactive = terminal.input.isTTY === true

  /** Asks one question; the terminal is only held while a question is open. */
  const question = (text: string) =>
    new Promise<string>((resolve) => {
      const readline = createInterface({ input: terminal.input, output: terminal.output })
      // Ctrl-C while the question is shown: interrupt the run as if no prompt were open.
      readline.on("SIGINT", () => {
        readline.close()
        process.kill(process.pid, "SIGINT")
      })
      readline.on("close", () => resolve(""))
      readline.question(text, (line) => {
        resolve(line)
        readline.close()
      })
    })

  const answer = async (request: PermissionRequestInfo) => {
    // Settled while it waited its turn here (rejected with another request, aborted, …).
    if (deps.permissions.sessionOf(request.id) === undefined) return
    terminal.output.write(`\n? ${describeRequest(request)}\n`)
    if (!interactive) {
      const hint = allowHint(request)
      terminal.output.write(`  refused: stdin is not a terminal, so spool run cannot ask. To allow it, add ${hint} to spool.json.\n`)
      await deps.permissions.reply(request.id, "reject", `spool run is not interactive, so this was refused without asking the user. They can allow it with ${hint} in spool.json.`)
      return
    }
    const choice = await question("  allow? [o]nce, [a]lways, [r]eject: ")
    const reply = parseChoice(choice)
    await deps.permissions.reply(request.id, reply)
    terminal.output.write(`  ${reply === "reject" ? "rejected" : reply === "always" ? `allowed from now on: ${request.always.join(", ")}` : "allowed once"}\n`)
  }

  const unsubscribe = deps.bus.subscribe((event) => {
    if (event.type !== "permission.asked") return
    const request = event.properties as PermissionRequestInfo
    if (request.sessionID !== sessionID) return
    queue = queue.then(() => answer(request)).catch(() => {})
  })
  return unsubscribe
}

/** `o`/`once`, `a`/`always`; anything else (Enter included) rejects. */
export function parseChoice(input: string): PermissionReply {
  const value = input.trim().toLowerCase()
  if (value === "o" || value === "once" || value === "y" || value === "yes") return "once"
  if (value === "a" || value === "always") return "always"
  return "reject"
}

/** One line naming what is asked: `bash: npm test && rm -rf build`, `edit: src/a.ts`. */
export function describeRequest(request: PermissionRequestInfo): string {
  const command = typeof request.metadata.command === "string" ? request.metadata.command : undefined
  return `${request.permission}: ${command ?? request.patterns.join(", ")}`
}

/** The spool.json setting that allows the request's patterns, e.g. `"permission": {"bash": {"npm test *": "allow"}}`. */
export function allowHint(request: PermissionRequestInfo): string {
  const patterns = request.always.length > 0 && !request.always.includes("*") ? request.always : undefined
  const setting = patterns ? Object.fromEntries(patterns.map((pattern) => [pattern, "allow"])) : "allow"
  return `"permission": ${JSON.stringify({ [request.permission]: setting })}`
}
