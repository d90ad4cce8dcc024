import { spawn } from "node:child_process"
import { once } from "node:events"
import { describe, expect, test } from "vitest"
import { currentProcess, groupMembers, isAlive, killProcessGroup, processStartTime } from "./process-identity.ts"

const linux = processStartTime(process.pid) !== undefined

describe.skipIf(!linux)("process identity (Linux /proc)", () => {
  test("this process: a start time, alive; a wrong start time is another process", () => {
    const self = currentProcess()
    expect(self.startTime).toBeGreaterThan(0)
    expect(isAlive({ pid: self.pid, startTime: self.startTime! })).toBe(true)
    expect(isAlive({ pid: self.pid, startTime: self.startTime! + 1 })).toBe(false)
    expect(isAlive({ pid: 2 ** 22 + 12345, startTime: 1 })).toBe(false)
  })

  test("killProcessGroup kills the whole group only when the leader's start time matches", async () => {
    const child = spawn("/bin/sh", ["-c", "sleep 30 & sleep 30 & wait"], { detached: true, stdio: "ignore" })
    const pid = child.pid!
    const startTime = processStartTime(pid)!
    await expect.poll(() => groupMembers(pid).length).toBe(3)
    const members = groupMembers(pid)

    expect(killProcessGroup({ pid, startTime: startTime + 1 })).toBe(false)
    expect(members.every((member) => isAlive({ pid: member }))).toBe(true)

    const exited = once(child, "exit")
    expect(killProcessGroup({ pid, startTime })).toBe(true)
    await exited
    await expect.poll(() => groupMembers(pid)).toEqual([])
    expect(killProcessGroup({ pid, startTime })).toBe(false)
  })
})
