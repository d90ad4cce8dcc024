import type { z } from "zod"
import { createId } from "../id/index.ts"
import type { BusEvent, EventDefinition } from "./event.ts"

/** Receives every event published after it subscribed, in publish order. */
export type Listener = (event: BusEvent) => void

/**
 * An in-process event bus (one per app instance, never a module global) with a bounded replay buffer.
 *
 * Contract:
 * - `publish` assigns an ascending `evt_` ID and delivers synchronously to current listeners, in order.
 * - Callers publish only after the change is stored ("write, then publish"), so a listener that reloads
 *   state from storage sees it.
 * - `since(id)` returns the buffered events after `id` (for SSE `Last-Event-ID` resume), or `undefined`
 *   when `id` is no longer buffered (the client must reload state instead).
 */
export interface Bus {
  publish<Properties extends z.ZodType>(
    definition: EventDefinition<string, Properties>,
    properties: z.infer<Properties>,
    directory?: string,
  ): BusEvent
  subscribe(listener: Listener): () => void
  since(eventID: string): BusEvent[] | undefined
}

/** Creates a bus whose replay buffer keeps the last `bufferSize` events (default 1,000). */
export function createBus(options: { bufferSize?: number } = {}): Bus {
  const bufferSize = options.bufferSize ?? 1000
  const listeners = new Set<Listener>()
  const buffer: BusEvent[] = []

  return {
    publish(definition, properties, directory) {
      const event: BusEvent = { id: createId("event"), type: definition.type, properties, directory }
      buffer.push(event)
      if (buffer.length > bufferSize) buffer.splice(0, buffer.length - bufferSize)
      for (const listener of listeners) {
        try {
          listener(event)
        } catch {
          // A failing listener (a closed SSE socket) must not stop delivery to the others.
        }
      }
      return event
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    since(eventID) {
      const index = buffer.findIndex((event) => event.id === eventID)
      if (index === -1) return undefined
      return buffer.slice(index + 1)
    },
  }
}
