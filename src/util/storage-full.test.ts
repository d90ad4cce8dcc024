import { describe, expect, test } from "vitest"
import { StorageFullError } from "./named-error.ts"
import { isStorageFull, storageFullCode, toStorageError } from "./storage-full.ts"

const coded = (message: string, code: string) => Object.assign(new Error(message), { code })

describe("storage-full errors", () => {
  test("SQLITE_FULL, ENOSPC and EDQUOT are recognised on the error or down its cause chain", () => {
    expect(storageFullCode(coded("database or disk is full", "SQLITE_FULL"))).toBe("SQLITE_FULL")
    expect(storageFullCode(coded("no space left on device", "ENOSPC"))).toBe("ENOSPC")
    expect(storageFullCode(new Error("git failed", { cause: new Error("write", { cause: coded("quota", "EDQUOT") }) }))).toBe("EDQUOT")
    expect(storageFullCode(coded("busy", "SQLITE_BUSY"))).toBeUndefined()
    expect(storageFullCode("ENOSPC")).toBeUndefined()
    expect(isStorageFull(new StorageFullError({ message: "full" }))).toBe(true)
    expect(isStorageFull({ name: "StorageFullError", data: { message: "stored" } })).toBe(true)
    expect(isStorageFull(new Error("other"))).toBe(false)
  })

  test("toStorageError names a full disk StorageFullError, keeps the cause, and leaves everything else alone", () => {
    const raw = coded("database or disk is full", "SQLITE_FULL")
    const mapped = toStorageError(raw)
    expect(StorageFullError.isInstance(mapped)).toBe(true)
    expect((mapped as Error).cause).toBe(raw)
    expect((mapped as InstanceType<typeof StorageFullError>).toObject()).toEqual({
      name: "StorageFullError",
      data: { message: "No space left to store Spool's data (SQLITE_FULL): free some disk space; nothing committed is lost and writes resume then" },
    })
    expect(toStorageError(mapped)).toBe(mapped)
    const other = coded("constraint", "SQLITE_CONSTRAINT_FOREIGNKEY")
    expect(toStorageError(other)).toBe(other)
  })
})
