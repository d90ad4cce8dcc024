import type { Command } from "commander"
import { createApp } from "../app.ts"
import { createLogger } from "../util/log.ts"

/** `spool session list|show|delete`: read and manage stored sessions without a server. */
export function registerSession(program: Command) {
  const session = program.command("session").description("List, show and delete sessions")
  const open = (dir: string) => createApp({ cwd: dir, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? "warn") })

  session
    .command("list")
    .description("Sessions of the project in --dir, newest first")
    .option("--dir <path>", "project directory", process.cwd())
    .option("-n, --limit <n>", "how many", "50")
    .option("--archived", "include archived sessions")
    .option("--json", "print JSON")
    .action(async (options: { dir: string; limit: string; archived?: boolean; json?: boolean }) => {
      const app = await open(options.dir)
      const page = await app.sessions.list({ directory: options.dir, limit: Number(options.limit), archived: options.archived })
      if (options.json) process.stdout.write(JSON.stringify(page.items, null, 2) + "\n")
      else {
        for (const info of page.items) {
          process.stdout.write(`${info.id}  ${new Date(info.time.updated).toISOString()}  $${(info.cost ?? 0).toFixed(4)}  ${info.title}\n`)
        }
      }
      await app.close()
    })

  session
    .command("show")
    .description("A session's messages")
    .argument("<id>", "session id")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const app = await open(process.cwd())
      try {
        const info = await app.sessions.get(id)
        const { items } = await app.sessions.messages(id, {})
        if (options.json) process.stdout.write(JSON.stringify({ info, messages: items }, null, 2) + "\n")
        else {
          process.stdout.write(`${info.title}\n${info.directory}\n\n`)
          for (const message of items) {
            process.stdout.write(`[${message.info.role}]\n`)
            for (const part of message.parts) {
              if (part.type === "text") process.stdout.write(`${part.text}\n`)
              if (part.type === "tool") process.stdout.write(`  (${part.tool} ${part.state.status})\n`)
            }
          }
        }
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`)
        process.exitCode = 1
      }
      await app.close()
    })

  session
    .command("delete")
    .description("Delete a session and its child sessions")
    .argument("<id>", "session id")
    .action(async (id: string) => {
      const app = await open(process.cwd())
      try {
        await app.sessions.remove(id)
        process.stdout.write(`deleted ${id}\n`)
      } catch (error) {
        process.stderr.write(`error: ${(error as Error).message}\n`)
        process.exitCode = 1
      }
      await app.close()
    })
}
