/** The failures of `pnpm reconcile`'s files, in a few plain words instead of Node's errno text and stack. */
import * as Schema from "effect/Schema"

/** A file or folder of `pnpm reconcile` cannot be used: `reason` says why in a few words. */
export class ReconcileFileError extends Schema.TaggedError<ReconcileFileError>()("ReconcileFileError", {
  path: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return `${this.path}: ${this.reason}`
  }
}

/** The errno codes a person can act on, in words. */
const reasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "is a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  EPIPE: "closed by the reader",
}

/** A failed file system call on `path` as a `ReconcileFileError` (an unknown code is named, not explained). */
export const fileError = (path: string, cause: unknown): ReconcileFileError => {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  const reason = code !== undefined ? (reasons[code] ?? code) : cause instanceof Error ? cause.message : String(cause)
  return new ReconcileFileError({ path, reason })
}
