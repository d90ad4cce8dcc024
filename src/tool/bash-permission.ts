import { commandPrefix } from "./bash-arity.ts"

/** One simple command found in a shell script. */
export interface ShellCommand {
  /** The command as written, trimmed (e.g. `npm test -- --watch`). */
  text: string
  /** Its words as written (quotes kept); leading `if`/`then`/`do`/`!`… keywords removed. */
  words: string[]
  /**
   * True when its first word is a variable assignment, an expansion (`$X`, `$(…)`) or a command that runs
   * other commands (`sudo`, `bash`, `xargs`, `eval`, …): no `always` is offered for it.
   */
  dynamic: boolean
}

const SEPARATORS = new Set([";", "&", "|", "\n", "(", ")"])
const LEADING_KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"])
const LONE_KEYWORDS = new Set(["fi", "done", "esac", "}", "else", "then", "do"])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/
/**
 * Commands that run another command given as their arguments: an `always` for `sudo *` or `bash *`
 * would allow anything, so they get none (each call is asked).
 */
const WRAPPERS = new Set(["eval", "exec", "sudo", "doas", "su", "env", "xargs", "nohup", "timeout", "nice", "ionice", "stdbuf", "time", "command", "builtin", "watch", "bash", "sh", "zsh", "dash", "ksh", "fish", "source", "."])

/**
 * Splits a shell script into its simple commands, the way a permission check needs them: on unquoted
 * `;`, `&`, `&&`, `|`, `||`, newlines and parentheses, and recursively into command substitutions
 * (`$(…)`, backticks, `<(…)`), so `echo $(rm -rf x)` yields both `echo $(rm -rf x)` and `rm -rf x`.
 * Quotes (`'…'`, `"…"`) and backslash escapes are respected; `#` comments are dropped. Not a full shell
 * parser: anything unusual (here-documents, `case` patterns) yields MORE commands to approve, never fewer.
 */
export function splitCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = []
  let text = ""
  let word = ""
  let words: string[] = []
  let dynamicHead = false

  const endWord = () => {
    if (word === "") return
    if (words.length === 0 && (ASSIGNMENT.test(word) || word.startsWith("$") || word.startsWith("`"))) dynamicHead = true
    words.push(word)
    word = ""
  }
  const endCommand = () => {
    endWord()
    let kept = words
    let rest = text.trim()
    while (kept.length > 1 && LEADING_KEYWORDS.has(kept[0])) {
      rest = rest.slice(kept[0].length).trim()
      kept = kept.slice(1)
    }
    if (kept.length > 0 && !(kept.length === 1 && LONE_KEYWORDS.has(kept[0]))) commands.push({ text: rest, words: kept, dynamic: dynamicHead || WRAPPERS.has(kept[0]) })
    text = ""
    words = []
    dynamicHead = false
  }

  let index = 0
  while (index < script.length) {
    const char = script[index]
    if (char === "\\") {
      const pair = script.slice(index, index + 2)
      if (pair === "\\\n") {
        index += 2
        continue
      }
      text += pair
      word += pair
      index += 2
      continue
    }
    if (char === "'") {
      const end = script.indexOf("'", index + 1)
      const quoted = end === -1 ? script.slice(index) : script.slice(index, end + 1)
      text += quoted
      word += quoted
      index += quoted.length
      continue
    }
    if (char === '"') {
      const end = closingDoubleQuote(script, index + 1)
      const quoted = script.slice(index, end + 1)
      commands.push(...substitutions(quoted))
      text += quoted
      word += quoted
      index += quoted.length
      continue
    }
    if ((char === "$" || char === "<" || char === ">") && script[index + 1] === "(") {
      const end = closingParen(script, index + 2)
      const inner = script.slice(index + 2, end)
      commands.push(...splitCommands(inner))
      const raw = script.slice(index, end + 1)
      if (word === "" && words.length === 0 && char === "$") dynamicHead = true
      text += raw
      word += raw
      index += raw.length
      continue
    }
    if (char === "`") {
      const end = closingBacktick(script, index + 1)
      commands.push(...splitCommands(script.slice(index + 1, end)))
      const raw = script.slice(index, end + 1)
      if (word === "" && words.length === 0) dynamicHead = true
      text += raw
      word += raw
      index += raw.length
      continue
    }
    if (char === "#" && word === "") {
      const end = script.indexOf("\n", index)
      index = end === -1 ? script.length : end
      continue
    }
    // `2>&1`, `>&2`, `&>file`: redirections, not the background operator.
    const redirection = char === "&" && (script[index - 1] === ">" || script[index - 1] === "<" || script[index + 1] === ">")
    if (SEPARATORS.has(char) && !redirection) {
      endCommand()
      index++
      continue
    }
    if (char === " " || char === "\t") {
      endWord()
      text += char
      index++
      continue
    }
    text += char
    word += char
    index++
  }
  endCommand()
  return commands
}

/**
 * What the `bash` tool asks for a command line (OpenCode 1.18 `tool/bash.ts`): one pattern per simple
 * command (`cd` excepted, as OpenCode), and for `always` the command's prefix (`commandPrefix`) plus ` *`
 * — `git status --short` → `git status *`. Commands starting with an assignment or an expansion, and
 * wrappers such as `sudo`/`bash -c`/`xargs`, get no `always` pattern, since any prefix of them would allow
 * unrelated commands (so an `always` reply to them allows that call only).
 */
export function bashPermission(command: string): { patterns: string[]; always: string[] } {
  const patterns = new Set<string>()
  const always = new Set<string>()
  for (const found of splitCommands(command)) {
    if (found.words[0] === "cd") continue
    patterns.add(found.text)
    if (!found.dynamic) always.add(`${commandPrefix(found.words).join(" ")} *`)
  }
  return { patterns: [...patterns], always: [...always] }
}

/** Commands inside the `$(…)` / backtick substitutions of a double-quoted string (with its quotes). */
function substitutions(quoted: string): ShellCommand[] {
  const found: ShellCommand[] = []
  for (let index = 1; index < quoted.length - 1; index++) {
    if (quoted[index] === "\\") {
      index++
      continue
    }
    if (quoted[index] === "$" && quoted[index + 1] === "(") {
      const end = closingParen(quoted, index + 2)
      found.push(...splitCommands(quoted.slice(index + 2, end)))
      index = end
    } else if (quoted[index] === "`") {
      const end = closingBacktick(quoted, index + 1)
      found.push(...splitCommands(quoted.slice(index + 1, end)))
      index = end
    }
  }
  return found
}

/** Index of the `"` closing a double-quoted string whose body starts at `from` (or the last index). */
function closingDoubleQuote(script: string, from: number): number {
  for (let index = from; index < script.length; index++) {
    if (script[index] === "\\") index++
    else if (script[index] === '"') return index
    else if (script[index] === "$" && script[index + 1] === "(") index = closingParen(script, index + 2)
  }
  return script.length - 1
}

/** Index of the `)` closing a parenthesis whose body starts at `from`, skipping quotes and nesting. */
function closingParen(script: string, from: number): number {
  let depth = 1
  for (let index = from; index < script.length; index++) {
    const char = script[index]
    if (char === "\\") index++
    else if (char === "'") index = Math.max(index, script.indexOf("'", index + 1) === -1 ? script.length : script.indexOf("'", index + 1))
    else if (char === '"') index = closingDoubleQuote(script, index + 1)
    else if (char === "(") depth++
    else if (char === ")" && --depth === 0) return index
  }
  return script.length
}

/** Index of the closing backtick for a substitution whose body starts at `from`. */
function closingBacktick(script: string, from: number): number {
  for (let index = from; index < script.length; index++) {
    if (script[index] === "\\") index++
    else if (script[index] === "`") return index
  }
  return script.length
}
