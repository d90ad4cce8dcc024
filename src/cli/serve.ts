import type { Command } from "commander"
import { isLoopbackHostname } from "../server/security/access.ts"
import { modelOption, openApp, portOption, printError } from "./util.ts"

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000

/**
 * What `spool serve` prints when asked to bind a non-loopback address with no password and no API
 * token: anyone who can reach the port could run commands on this machine through the agent.
 */
export function openBindRefusal(hostname: string): string {
  return [
    `error: refusing to serve on ${hostname} without authentication: anyone who can reach this address could drive the agent (and its bash tool) on this machine.`,
    "Set a password (--password <secret>, or SPOOL_SERVER_PASSWORD), or create an API token (spool token create --name <name> --scope write),",
    "or pass --no-auth to serve without authentication anyway (only on a network you trust).",
  ].join("\n")
}

/**
 * `spool serve`: the HTTP + SSE server on 127.0.0.1:4096 by default. A non-loopback `--hostname` needs a
 * password or an API token, unless `--no-auth` (see `openBindRefusal`); exits 1 otherwise.
 */
export function registerServe(program: Command) {
  program
    .command("serve")
    .description("Start the Spool server (OpenCode-compatible session API + SSE)")
    .option("-p, --port <port>", "port to listen on (0 = any free port)", portOption, "4096")
    .option("--hostname <host>", "address to bind", "127.0.0.1")
    .option("-m, --model <provider/model>", "default model for prompts that name none", modelOption)
    .option("--dir <path>", "directory for requests that name none", process.cwd())
    .option("--password <password>", "require HTTP Basic auth with this password (default: SPOOL_SERVER_PASSWORD or OPENCODE_SERVER_PASSWORD; prefer those: a flag shows in ps)")
    .option("--no-auth", "allow a non-loopback --hostname without a password or API token")
    .action(async (options: { port: string; hostname: string; model?: string; dir: string; password?: string; auth: boolean }) => {
      const app = await openApp({ cwd: options.dir, model: options.model, password: options.password })
      if (options.auth && !isLoopbackHostname(options.hostname) && !(await app.auth.configured())) {
        await app.close().catch(() => {})
        process.stderr.write(`${openBindRefusal(options.hostname)}\n`)
        process.exit(1)
      }
      let url: string
      try {
        url = await app.listen(Number(options.port), options.hostname)
      } catch (error) {
        await app.close().catch(() => {})
        throw error
      }
      app.scheduleGc()
      app.log.info({ url, dataDir: app.dataDir }, "spool listening")
      process.stdout.write(`spool listening on ${url}\n`)
      // Running turns are aborted (their tools' processes killed) and stored before the process exits;
      // a second signal, or a shutdown that takes too long, ends it at once.
      const shutdown = async () => {
        setTimeout(() => {
          process.stderr.write("error: shutdown timed out\n")
          process.exit(1)
        }, SHUTDOWN_TIMEOUT_MS).unref()
        try {
          await app.close()
        } catch (error) {
          printError(error)
          process.exit(1)
        }
        process.exit(0)
      }
      process.once("SIGINT", shutdown)
      process.once("SIGTERM", shutdown)
    })
}
