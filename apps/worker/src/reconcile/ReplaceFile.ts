/**
 * A file written whole or not at all: the text goes to a temporary file beside the target, is flushed to disk, and
 * only then renamed over the target. A failure or an interruption removes the temporary file and leaves the target
 * as it was (or absent); a killed process can leave the temporary file, never a half-written target.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { fileError, type ReconcileFileError } from "./ReconcileFileError.ts"

/** Replaces the file at `target` (through a symlink, the file it points to) by the concatenation of `pieces`. */
export const replaceFile = (target: string, pieces: Iterable<string>): Effect.Effect<void, ReconcileFileError> =>
  Effect.gen(function* () {
    const existing = yield* Effect.tryPromise({
      try: () => existingFile(target),
      catch: (cause) => fileError(target, cause),
    })
    const destination = existing?.path ?? target
    const temporary = temporaryPathFor(destination)
    yield* Effect.acquireUseRelease(
      Effect.tryPromise({ try: () => fs.open(temporary, "wx"), catch: (cause) => fileError(destination, cause) }),
      (file) =>
        Effect.tryPromise({
          try: async (signal) => {
            for (const piece of pieces) {
              signal.throwIfAborted()
              await file.appendFile(piece)
            }
            // an existing file keeps its permissions, as it would had it been rewritten in place
            if (existing !== undefined) await file.chmod(existing.mode)
            await file.sync()
            signal.throwIfAborted()
            await fs.rename(temporary, destination)
          },
          catch: (cause) => fileError(destination, cause),
        }),
      (file, exit) =>
        Effect.promise(async () => {
          await file.close().catch(() => undefined)
          if (Exit.isFailure(exit)) await fs.rm(temporary, { force: true }).catch(() => undefined)
        }),
    )
  })

/** The real path and permission bits of the file at `target`, if there is one. */
const existingFile = async (target: string): Promise<{ path: string; mode: number } | undefined> => {
  try {
    const real = await fs.realpath(target)
    return { path: real, mode: (await fs.stat(real)).mode & 0o7777 }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw cause
  }
}

/** `dir/.name.<pid>.<random>.tmp`: in the target's folder, so the rename stays on one file system. */
const temporaryPathFor = (destination: string): string =>
  path.join(
    path.dirname(destination),
    `.${path.basename(destination)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`,
  )
