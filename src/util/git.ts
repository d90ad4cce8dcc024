import { execFile } from "node:child_process"

/** Result of one git invocation; `code` is the exit status (non-zero is not thrown). */
export interface GitResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `git <args>` in `cwd` without a shell. Never throws for a non-zero exit; throws only when git
 * cannot be started. Output is capped at 256 MiB.
 */
export function git(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === "string") return reject(error)
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}
