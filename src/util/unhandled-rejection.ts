import { randomBytes } from "node:crypto"
import { createLogger, type Logger } from "./log.ts"

/**
 * Keeps a long-running `spool serve` up when a promise rejection goes unhandled. Every rejection in
 * Spool is meant to be handled where it happens (a failed turn ends with an error on its message, a
 * failed request answers with a named error); one that is not is a bug, and it must not take every
 * session down with it (Node's default, `--unhandled-rejections=throw`, exits the process). It is logged
 * loudly instead: at `error` level, with its stack and a reference (`ref: "rej_…"`) to quote in a bug
 * report. Exceptions thrown synchronously (`uncaughtException`) still end the process.
 *
 * Tests run the server with `--unhandled-rejections=strict`, which raises the rejection as an uncaught
 * exception before this handler is asked, so a test still fails on any unhandled rejection.
 *
 * @returns a function that removes the handler again.
 */
export function keepServingOnUnhandledRejection(log: Logger = createLogger()): () => void {
  const handler = (reason: unknown) => {
    const ref = `rej_${randomBytes(4).toString("hex")}`
    log.error({ err: reason, ref }, "unhandled promise rejection: this is a bug in Spool, please report it; the server keeps serving")
  }
  process.on("unhandledRejection", handler)
  return () => process.off("unhandledRejection", handler)
}
