import type { Command } from "commander"
import { modelOption, openApp, portOption, printError } from "./util.ts"

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000

/** `spool serve`: the HTTP + SSE server on 127.0.0.1:4096 by default. */
export function registerServe(program: Command) {
  program
    .command("serve")
    .description("Start the Spool server (OpenCode-compatible session API + SSE)")
    .option("-p, --port <port>", "port to listen on (0 = any free port)", portOption, "4096")
    .option("--hostname <host>", "address to bind", "127.0.0.1")
    .option("-m, --model <provider/model>", "default model for prompts that name none", modelOption)
    .option("--dir <path>", "directory for requests that name none", process.cwd())
    .action(async (options: { port: string; hostname: string; model?: string; dir: string }) => {
      const app = await openApp({ cwd: options.dir, model: options.model })
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
