/**
 * One run's working memory: typed arrays carved out of a few large buffers instead of allocated one by one.
 *
 * Why: every typed array's memory counts as "external" to V8, and each 64 MiB or so of new external memory starts a
 * full collection — which marks the whole heap, the caller's million input records included (~0.4 s each). A run
 * used to allocate hundreds of MiB in pieces and paid for a dozen of those; from an arena it pays for a few.
 * Memory is handed out stack-wise: `mark()` before a phase's scratch arrays, `release(mark)` after, and the next
 * arrays reuse the same (already touched) pages, zeroed. Arrays that outlive the run (the result) are never taken
 * from here.
 */
/** A piece of memory an arena hands arrays out of: `length` bytes of `buffer` from `base`. */
interface Chunk {
  readonly buffer: ArrayBuffer
  readonly base: number
  readonly length: number
  /** where the chunk starts in the arena's running count of bytes */
  readonly start: number
}

export class Arena {
  private readonly chunks: Array<Chunk> = []
  /** bytes handed out, over all chunks */
  private used = 0
  /** the most bytes ever handed out: memory above it was never used, so it is still zero */
  private highWater = 0
  private readonly chunkBytes: number

  /**
   * `chunkBytes`: the size of each buffer the arena allocates (a run sizes it to its records, so one or two
   * suffice); `first`: memory to use before allocating any (a slice of a buffer shared with another arena)
   */
  constructor(
    chunkBytes: number,
    first?: { readonly buffer: ArrayBuffer; readonly base: number; readonly length: number },
  ) {
    this.chunkBytes = Math.max(1 << 20, Math.ceil(chunkBytes / 64) * 64)
    if (first !== undefined) this.chunks.push({ ...first, start: 0 })
  }

  /** Where the next array will start; `release` it to give back everything taken since. */
  mark(): number {
    return this.used
  }

  release(mark: number): void {
    this.used = Math.min(this.used, mark)
  }

  int32(length: number): Int32Array {
    const [buffer, offset] = this.take(length * 4)
    return new Int32Array(buffer, offset, length)
  }

  uint32(length: number): Uint32Array {
    const [buffer, offset] = this.take(length * 4)
    return new Uint32Array(buffer, offset, length)
  }

  uint8(length: number): Uint8Array {
    const [buffer, offset] = this.take(length)
    return new Uint8Array(buffer, offset, length)
  }

  float32(length: number): Float32Array {
    const [buffer, offset] = this.take(length * 4)
    return new Float32Array(buffer, offset, length)
  }

  float64(length: number): Float64Array {
    const [buffer, offset] = this.take(length * 8)
    return new Float64Array(buffer, offset, length)
  }

  /** `bytes` of zeroed memory, 64-byte aligned (a cache line); a new chunk when the current one is full. */
  private take(bytes: number): readonly [ArrayBuffer, number] {
    const size = Math.ceil(Math.max(bytes, 1) / 64) * 64
    // the chunk holding `used`, if any, and room in it
    let index = this.chunks.length - 1
    while (index > 0 && (this.chunks[index] as Chunk).start > this.used) index--
    for (; index < this.chunks.length; index++) {
      if (index < 0) continue
      const chunk = this.chunks[index] as Chunk
      const offset = Math.max(this.used, chunk.start) - chunk.start
      if (offset + size <= chunk.length) {
        this.used = chunk.start + offset + size
        // released memory comes back dirty: zero it, as a new array would be
        const dirtyEnd = Math.min(offset + size, this.highWater - chunk.start)
        if (dirtyEnd > offset) new Uint8Array(chunk.buffer, chunk.base + offset, dirtyEnd - offset).fill(0)
        this.highWater = Math.max(this.highWater, this.used)
        return [chunk.buffer, chunk.base + offset]
      }
    }
    const last = this.chunks[this.chunks.length - 1]
    const start = last === undefined ? 0 : last.start + last.length
    const length = Math.max(this.chunkBytes, size)
    this.chunks.push({ buffer: new ArrayBuffer(length), base: 0, length, start })
    this.used = start + size
    this.highWater = Math.max(this.highWater, this.used)
    return [(this.chunks[this.chunks.length - 1] as Chunk).buffer, 0]
  }
}

/** A growing list of ints in an arena (a list that outgrows its room moves; the old room stays until released). */
export class IntList {
  data: Int32Array
  length = 0
  private readonly arena: Arena
  constructor(arena: Arena, capacity: number) {
    this.arena = arena
    this.data = arena.int32(Math.max(16, capacity))
  }
  push(value: number) {
    // claimed first: growing replaces `data`, which `this.data[this.claim(1)]` would have read before the call
    const at = this.claim(1)
    this.data[at] = value
  }

  /** Makes room for `count` more ints and returns where they start (`data` may have moved). */
  claim(count: number): number {
    if (this.length + count > this.data.length) {
      const grown = this.arena.int32(Math.max(this.data.length * 2, this.length + count))
      grown.set(this.data)
      this.data = grown
    }
    const at = this.length
    this.length += count
    return at
  }
}

/** A run's two arenas: `run` for what lives until the run ends, `scratch` for a phase's temporaries. */
export interface Memory {
  readonly run: Arena
  readonly scratch: Arena
}

/**
 * Arenas sized for `records` records, so a run rarely needs a second chunk: measured on generated employees, a
 * million records use about 400 MiB that live through the run and at most 350 MiB of scratch at a time. Both
 * arenas start in one buffer: each new buffer of that size starts a full collection of the caller's heap (external
 * memory, see above), so one buffer costs one, not two. Its pages cost nothing until used.
 */
export const memoryFor = (records: number): Memory => {
  const runBytes = Math.ceil((4 * 1048576 + records * 448) / 64) * 64
  const scratchBytes = Math.ceil((1048576 + records * 352) / 64) * 64
  const buffer = new ArrayBuffer(runBytes + scratchBytes)
  return {
    run: new Arena(runBytes, { buffer, base: 0, length: runBytes }),
    scratch: new Arena(scratchBytes, { buffer, base: runBytes, length: scratchBytes }),
  }
}
