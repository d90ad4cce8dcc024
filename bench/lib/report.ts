/**
 * Renders suite results as a Markdown table: one row per metric, one column per server, and the
 * ratio OpenCode ÷ Spool when both ran.
 */

/** One table row: a label, its unit, and the value for each server (undefined = not measured). */
export interface Row {
  label: string
  unit: string
  spool?: number
  opencode?: number
  /** "lower" (latency, memory, time) or "higher" (throughput) is better; shown in the ratio cell. */
  better: "lower" | "higher"
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–"
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US")
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function formatRatio(row: Row): string {
  if (row.spool === undefined || row.opencode === undefined || !row.spool || Number.isNaN(row.opencode)) return "–"
  const ratio = row.opencode / row.spool
  const spoolBetter = row.better === "lower" ? ratio > 1 : ratio < 1
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}× ${ratio === 1 ? "" : spoolBetter ? "(Spool better)" : "(OpenCode better)"}`.trim()
}

/** The Markdown table; the OpenCode and ratio columns appear only when `withOpenCode`. */
export function markdownTable(rows: Row[], columns: { spool: string; opencode?: string }): string {
  const header = columns.opencode ? ["metric", columns.spool, columns.opencode, "OpenCode ÷ Spool"] : ["metric", columns.spool]
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map((_, index) => (index === 0 ? "---" : "---:")).join(" | ")} |`]
  for (const row of rows) {
    const cells = [`${row.label} (${row.unit})`, formatNumber(row.spool)]
    if (columns.opencode) cells.push(formatNumber(row.opencode), formatRatio(row))
    lines.push(`| ${cells.join(" | ")} |`)
  }
  return lines.join("\n")
}
