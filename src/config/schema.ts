import { z } from "zod"

/**
 * The config schema. Every field carries a `.describe()` text: `z.toJSONSchema` turns it into the
 * `description` of the published JSON Schema (`schema/spool.schema.json`, see `json-schema.ts`), so
 * editors show it on hover. Objects are strict (unknown keys are errors, so typos surface) except
 * `provider.<id>.options`, which is passed through to the AI SDK.
 */

const ModelConfig = z
  .object({
    name: z.string().optional().describe("Display name."),
    cost: z
      .object({
        input: z.number().nonnegative().describe("USD per million input tokens."),
        output: z.number().nonnegative().describe("USD per million output tokens."),
        cache_read: z.number().nonnegative().optional().describe("USD per million cache-read input tokens."),
        cache_write: z.number().nonnegative().optional().describe("USD per million cache-write input tokens."),
      })
      .optional()
      .describe("Prices, used for the `cost` of assistant messages."),
    limit: z
      .object({
        context: z.number().int().nonnegative().describe("Context window in tokens."),
        output: z.number().int().nonnegative().describe("Maximum output tokens."),
      })
      .optional()
      .describe("Token limits, used for the output cap and for automatic compaction."),
  })
  .describe("A model. Other keys (OpenCode's `tool_call`, `reasoning`, …) are accepted and ignored.")

/**
 * A provider entry, named as OpenCode's config names it (`provider.<id>`): `options.baseURL` and
 * `options.apiKey` reach the AI SDK provider; `npm` picks the adapter for a custom id
 * (`@ai-sdk/anthropic`, `@ai-sdk/openai`, default `@ai-sdk/openai-compatible`).
 */
export const ProviderConfig = z
  .object({
    npm: z
      .string()
      .optional()
      .describe("AI SDK adapter for a custom provider: `@ai-sdk/anthropic`, `@ai-sdk/openai`, or `@ai-sdk/openai-compatible` (default)."),
    name: z.string().optional().describe("Display name."),
    options: z
      .object({
        baseURL: z.string().optional().describe("API base URL, e.g. `http://127.0.0.1:8080/v1`."),
        apiKey: z.string().optional().describe("API key; use `{env:VAR}` or `{file:path}` rather than a literal."),
        headers: z.record(z.string(), z.string()).optional().describe("Extra HTTP headers sent with every request."),
      })
      .loose()
      .optional()
      .describe("Options passed to the AI SDK provider; keys other than these are passed through."),
    models: z.record(z.string(), ModelConfig).optional().describe("Models of this provider, by model id."),
  })
  .describe("A model provider. Other keys (OpenCode's `env`, `whitelist`, …) are accepted and ignored.")

/** A permission action (OpenCode's `PermissionAction`): run without asking, ask the user, or refuse. */
export const PermissionAction = z.enum(["allow", "ask", "deny"]).describe("`allow` runs the tool, `ask` waits for the user's approval, `deny` refuses.")

/**
 * One permission's setting, as OpenCode's config writes it: a single action for every pattern, or a map
 * of pattern → action (`{"git status*": "allow", "*": "ask"}`; `*` and `?` are wildcards; the last
 * matching entry wins).
 */
export const PermissionRuleConfig = z
  .union([PermissionAction, z.record(z.string(), PermissionAction)])
  .describe("An action for every pattern, or a map of pattern → action (the last matching pattern wins).")

/**
 * `permission` (OpenCode's key): one action for everything, or permission name → setting. Names are the
 * tool names (`bash`, `edit`, `read`, `glob`, `grep`, `list`, `todowrite`, `todoread`; `write` and `patch`
 * count as `edit`) plus OpenCode's `external_directory` and `doom_loop`; `*` matches every permission.
 */
export const PermissionConfig = z
  .union([PermissionAction, z.record(z.string(), PermissionRuleConfig)])
  .describe("Permissions: one action for everything, or permission name (tool name, `external_directory`, `doom_loop`, `*`) → action or pattern map.")

/** An agent: `agent.<name>` (OpenCode's key). Unknown names define custom agents. */
export const AgentConfig = z
  .object({
    description: z.string().optional().describe("What the agent is for; shown to users and to agents choosing a subagent."),
    prompt: z.string().optional().describe("System prompt replacing the default one (instruction files are still appended)."),
    model: z.string().optional().describe("Model of this agent, `provider/model`; default: the session's model."),
    tools: z
      .union([
        z.array(z.string()).describe("Allowed tool names; tools not listed are disabled."),
        z.record(z.string(), z.boolean()).describe("Tool name → enabled; tools not listed keep their default."),
      ])
      .optional()
      .describe("Tools the agent may use. Names may contain `*` wildcards; in the map form the last matching key wins."),
    steps: z.number().int().positive().optional().describe("Maximum LLM steps in one turn of this agent; default: the top-level `steps`."),
    permission: PermissionConfig.optional().describe("Permissions of this agent; merged over the top-level `permission` (this wins)."),
  })
  .strict()
  .describe("An agent.")

/** `compaction`: when and how long conversations are summarised (spec 4.5). */
export const CompactionConfig = z
  .object({
    auto: z.boolean().optional().describe("Compact automatically when the context window is nearly full (default true)."),
    reserved: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe("Tokens kept free for the compaction itself; compaction starts when usage reaches the input limit minus this (default min(20000, the model's output limit))."),
    prune: z.boolean().optional().describe("Hide old tool outputs from the model once they exceed a token budget (default false)."),
  })
  .strict()

/** `snapshot`: the per-step file snapshots used for diffs and revert. */
export const SnapshotConfig = z
  .object({
    enabled: z.boolean().optional().describe("Take file snapshots in git projects (default true)."),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Untracked files larger than this are left out of snapshots (default 2097152, 2 MiB)."),
  })
  .strict()

/** `cache`: provider prompt caching. */
export const CacheConfig = z
  .object({
    ttl: z
      .enum(["auto", "5m", "1h"])
      .optional()
      .describe("Lifetime of prompt-cache breakpoints where the provider supports it (Anthropic): `5m`, `1h`, or `auto` to let Spool choose (default)."),
  })
  .strict()

/** `server`: who may talk to `spool serve` and how much they may send. */
export const ServerConfig = z
  .object({
    hostnames: z
      .array(z.string())
      .optional()
      .describe("Extra `Host` names accepted besides loopback names and the bound address (DNS-rebinding protection), e.g. `spool.example.com`. A name without a port accepts any port."),
    cors: z
      .array(z.string())
      .optional()
      .describe("Extra browser origins allowed to call the API (OpenCode's `server.cors`), e.g. `https://app.example.com`."),
    maxBodyBytes: z.number().int().positive().optional().describe("Largest request body accepted, in bytes (default 10485760, 10 MiB); larger bodies get 413."),
  })
  .strict()

/** `sandbox`: confine the `bash` tool with bubblewrap (Linux). */
export const SandboxConfig = z
  .object({
    enabled: z.boolean().optional().describe("Run `bash` tool commands under bubblewrap (`bwrap`): the work tree writable, the rest of the filesystem read-only (default false)."),
    network: z.boolean().optional().describe("Allow network access inside the sandbox (default false)."),
    writable: z.array(z.string()).optional().describe("Extra absolute paths the sandboxed command may write (the work tree and a private /tmp always are)."),
  })
  .strict()

/** `shell`: how the agent's shell commands (the `bash` tool) run. */
export const ShellConfig = z
  .object({
    passEnv: z
      .array(z.string())
      .optional()
      .describe(
        "Environment variables of Spool's own that shell commands still get. By default commands run without Spool's secrets (`SPOOL_*`, `ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `OPENCODE_SERVER_PASSWORD`, configured API keys) and without npm's script variables (`npm_*`); list names here to pass them, e.g. [\"ANTHROPIC_API_KEY\"].",
      ),
  })
  .strict()

/** `spool.json` / `spool.jsonc`. Unknown keys are rejected so typos surface. */
export const Config = z
  .object({
    $schema: z.string().optional().describe("JSON Schema of this file, for editors."),
    model: z.string().optional().describe("Default model, `provider/model` (e.g. `anthropic/claude-sonnet-4-5`)."),
    small_model: z
      .string()
      .optional()
      .describe("Small, cheap model for session titles, `provider/model` (OpenCode's key). Without it, a new session is titled with the first line of its first prompt."),
    provider: z.record(z.string(), ProviderConfig).optional().describe("Model providers, by provider id."),
    agent: z.record(z.string(), AgentConfig).optional().describe("Agents, by name: built-in ones are adjusted, other names define custom agents."),
    instructions: z
      .array(z.string())
      .optional()
      .describe(
        "Extra instruction files for the system prompt: globs relative to every directory from the session directory up to the worktree root, or absolute / `~/` globs. Arrays from several config files are concatenated.",
      ),
    steps: z.number().int().positive().optional().describe("Maximum LLM steps in one agent turn (default 100)."),
    compaction: CompactionConfig.optional().describe("Context compaction."),
    snapshot: SnapshotConfig.optional().describe("File snapshots, for per-turn diffs and revert."),
    cache: CacheConfig.optional().describe("Provider prompt caching."),
    permission: PermissionConfig.optional().describe("What tools may do without asking (OpenCode's `permission`)."),
    server: ServerConfig.optional().describe("HTTP server access rules and limits."),
    sandbox: SandboxConfig.optional().describe("Sandbox for the `bash` tool."),
    shell: ShellConfig.optional().describe("Environment of the `bash` tool's commands."),
  })
  .strict()
  .describe("Spool configuration (spool.json / spool.jsonc).")

export type Config = z.infer<typeof Config>
export type ProviderConfig = z.infer<typeof ProviderConfig>
export type AgentConfig = z.infer<typeof AgentConfig>
export type CompactionConfig = z.infer<typeof CompactionConfig>
export type SnapshotConfig = z.infer<typeof SnapshotConfig>
export type CacheConfig = z.infer<typeof CacheConfig>
export type PermissionAction = z.infer<typeof PermissionAction>
export type PermissionConfig = z.infer<typeof PermissionConfig>
export type ServerConfig = z.infer<typeof ServerConfig>
export type SandboxConfig = z.infer<typeof SandboxConfig>
export type ShellConfig = z.infer<typeof ShellConfig>
