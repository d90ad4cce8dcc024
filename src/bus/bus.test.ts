import { describe, expect, test } from "vitest"
import { z } from "zod"
import { createBus, defineEvent } from "./index.ts"

const Ping = defineEvent("test.ping", z.object({ n: z.number() }))

describe("bus", () => {
  test("delivers in order and keeps delivering when a listener throws", () => {
    const bus = createBus()
    const seen: number[] = []
    bus.subscribe(() => {
      throw new Error("closed socket")
    })
    bus.subscribe((event) => seen.push((event.properties as { n: number }).n))
    bus.publish(Ping, { n: 1 })
    bus.publish(Ping, { n: 2 })
    expect(seen).toEqual([1, 2])
  })

  test("replays events after a buffered id, and reports ids that fell out of the buffer", () => {
    const bus = createBus({ bufferSize: 3 })
    const ids = [1, 2, 3, 4].map((n) => bus.publish(Ping, { n }).id)
    expect(bus.since(ids[1])?.map((event) => (event.properties as { n: number }).n)).toEqual([3, 4])
    expect(bus.since(ids[0])).toBeUndefined()
  })
})
