import type { Command } from "commander"
import { createApp } from "../app.ts"

/** `spool serve`: the HTTP + SSE server on 127.0.0.1:4096 by default. */
export function registerServe(program: Command) {
  program
    .command("serve")
    .description("Start the Spool server (OpenCode-compatible session API + SSE)")
    .option("-p, --port <port>", "port to listen on (0 = any free port)", "4096")
    .option("--hostname <host>", "address to bind", "127.0.0.1")
    .option("-m, --model <provider/model>", "default model for prompts that name none")
    .option("--dir <path>", "directory for requests that name none", process.cwd())
    .action(async (options: { port: string; hostname: string; model?: string; dir: string }) => {
      const app = await createApp({ cwd: options.dir, model: options.model })
      const url = await app.listen(Number(options.port), options.hostname)
      app.log.info({ url, dataDir: app.dataDir }, "spool listening")
      process.stdout.write(`spool listening on ${url}\n`)
      const shutdown = async () => {
        await app.close()
        process.exit(0)
      }
      process.once("SIGINT", shutdown)
      process.once("SIGTERM", shutdown)
    })
}
