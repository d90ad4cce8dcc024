import { InvalidArgumentError, type Command } from "commander"
import { withApp } from "./util.ts"

const SCOPES = ["read", "write", "admin"] as const

/** Commander option parser for a token scope. */
function scopeOption(value: string): (typeof SCOPES)[number] {
  if (!(SCOPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SCOPES.join(", ")}`)
  return value as (typeof SCOPES)[number]
}

/** Epoch ms as a short UTC timestamp, `-` when absent. */
function time(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").slice(0, 16) + "Z"
}

/**
 * `spool token create|list|revoke`: API tokens for `Authorization: Bearer` (see `src/auth/tokens.ts`).
 * They live in the data directory's database, so whoever can run this can manage them; there is no
 * HTTP route for it. A running server sees new and revoked tokens at once (it looks them up per request).
 */
export function registerToken(program: Command) {
  const token = program.command("token").description("Manage API tokens (Authorization: Bearer <token>)")

  token
    .command("create")
    .description("Create a token and print it (once: only its hash is stored)")
    .requiredOption("--name <name>", "a unique name, e.g. the client that will use it")
    .option("--scope <scope>", "read (GET only), write or admin", scopeOption, "write")
    .option("--json", "print {id, name, scope, token} as JSON")
    .action(async (options: { name: string; scope: (typeof SCOPES)[number]; json?: boolean }) => {
      await withApp(process.cwd(), async (app) => {
        const created = await app.auth.tokens.create({ name: options.name, scope: options.scope })
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ id: created.id, name: created.name, scope: created.scope, token: created.token })}\n`)
          return
        }
        process.stdout.write(`${created.token}\n`)
        process.stderr.write(`Created token ${created.id} "${created.name}" (scope ${created.scope}). It is shown only now; store it safely.\n`)
      })
    })

  token
    .command("list")
    .description("List tokens: id, name, scope, created, last used (never the token)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await withApp(process.cwd(), async (app) => {
        const tokens = await app.auth.tokens.list()
        if (options.json) {
          process.stdout.write(`${JSON.stringify(tokens)}\n`)
          return
        }
        if (tokens.length === 0) {
          process.stdout.write("no tokens\n")
          return
        }
        const rows = [["ID", "NAME", "SCOPE", "CREATED", "LAST USED"], ...tokens.map((info) => [info.id, info.name, info.scope, time(info.timeCreated), time(info.timeLastUsed)])]
        const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
        for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()}\n`)
      })
    })

  token
    .command("revoke")
    .description("Revoke (delete) a token by id or name")
    .argument("<id-or-name>")
    .action(async (idOrName: string) => {
      await withApp(process.cwd(), async (app) => {
        if (!(await app.auth.tokens.revoke(idOrName))) throw new Error(`no token with id or name "${idOrName}"`)
        process.stdout.write(`revoked ${idOrName}\n`)
      })
    })
}
