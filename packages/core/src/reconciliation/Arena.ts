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
export class Arena {
  private readonly chunks: Array<ArrayBuffer> = []
  /** bytes handed out, over all chunks (chunk c spans chunkStart[c] .. chunkStart[c] + its length) */
  private used = 0
  /** the most bytes ever handed out: memory above it was never used, so it is still zero */
  private highWater = 0
  private readonly chunkStart: Array<number> = []
  private readonly chunkBytes: number

  /** `chunkBytes`: the size of each buffer (a run sizes it to its records, so one or two suffice) */
  constructor(chunkBytes: number) {
    this.chunkBytes = Math.max(1 << 20, Math.ceil(chunkBytes / 64) * 64)
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
    let chunk = this.chunkStart.length - 1
    while (chunk > 0 && (this.chunkStart[chunk] as number) > this.used) chunk--
    for (; chunk < this.chunks.length; chunk++) {
      if (chunk < 0) continue
      const start = this.chunkStart[chunk] as number
      const buffer = this.chunks[chunk] as ArrayBuffer
      const offset = Math.max(this.used, start) - start
      if (offset + size <= buffer.byteLength) {
        this.used = start + offset + size
        // released memory comes back dirty: zero it, as a new array would be
        const dirtyEnd = Math.min(offset + size, this.highWater - start)
        if (dirtyEnd > offset) new Uint8Array(buffer, offset, dirtyEnd - offset).fill(0)
        this.highWater = Math.max(this.highWater, this.used)
        return [buffer, offset]
      }
    }
    const start = this.chunks.length === 0 ? 0 : this.capacity()
    const buffer = new ArrayBuffer(Math.max(this.chunkBytes, size))
    this.chunks.push(buffer)
    this.chunkStart.push(start)
    this.used = start + size
    this.highWater = Math.max(this.highWater, this.used)
    return [buffer, 0]
  }

  private capacity(): number {
    const last = this.chunks.length - 1
    return (this.chunkStart[last] as number) + (this.chunks[last] as ArrayBuffer).byteLength
  }
}

/** A run's two arenas: `run` for what lives until the run ends, `scratch` for a phase's temporaries. */
export interface Memory {
  readonly run: Arena
  readonly scratch: Arena
}

/**
 * Arenas sized for `records` records, so a run rarely needs a second chunk: measured on generated employees, a
 * million records use about 415 MiB that live through the run and at most 330 MiB of scratch at a time (while
 * preparing).
 */
export const memoryFor = (records: number): Memory => ({
  run: new Arena(4 * 1048576 + records * 448),
  scratch: new Arena(1048576 + records * 352),
})
