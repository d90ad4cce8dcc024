/**
 * Latency statistics for the benchmark: percentiles by linear interpolation between closest ranks
 * (the "R-7" / NumPy default), so p50 of an even-sized sample is the mean of the two middle values.
 */

/** Summary of a latency sample, all values in milliseconds. */
export interface Summary {
  n: number
  p50: number
  p99: number
  mean: number
  min: number
  max: number
}

/** The `p`-th percentile (0–100) of `values`; `NaN` for an empty sample. Does not mutate `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return percentileSorted(sorted, p)
}

function percentileSorted(sorted: readonly number[], p: number): number {
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low)
}

/** p50, p99, mean, min and max of a sample (all `NaN` when empty). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return { n, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, min: Number.NaN, max: Number.NaN }
  const sum = sorted.reduce((total, value) => total + value, 0)
  return { n, p50: percentileSorted(sorted, 50), p99: percentileSorted(sorted, 99), mean: sum / n, min: sorted[0], max: sorted[n - 1] }
}

/** The median of a sample (`NaN` when empty). */
export function median(values: readonly number[]): number {
  return percentile(values, 50)
}
