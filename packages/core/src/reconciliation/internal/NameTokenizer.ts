/**
 * Name tokens interned straight from the text: a name is folded and split into tokens (see `nameTokens`), each
 * token gets an id in one table shared by first, middle, last and preferred names; titles and suffixes are dropped,
 * surname particles kept (but recognisable). ASCII names, nearly all of them, are tokenised without making strings.
 */
import { ignoredNameWords, nameTokens, surnameParticles } from "./Normalize.ts"
import { phoneticCode } from "./Phonetic.ts"
import { FNV_OFFSET, FNV_PRIME, StringTable } from "./StringTable.ts"

/** Name tokens interned straight from the text; ids of ignored words and particles are reserved up front. */
export class NameTokenizer {
  readonly table = new StringTable()
  readonly ignoredBelow: number
  readonly particlesBelow: number
  private phonetic = new Int32Array(1024)
  readonly out = new Int32Array(16)

  constructor() {
    for (const word of ignoredNameWords) this.table.id(word)
    this.ignoredBelow = this.table.size
    for (const word of surnameParticles) this.table.id(word)
    this.particlesBelow = this.table.size
  }

  /** Writes the token ids of `raw` into `out`; returns how many. */
  tokens(raw: string | null | undefined): number {
    if (raw === null || raw === undefined || raw.length === 0) return 0
    return this.tokenize(raw)
  }

  /** One pass over an ASCII name: letters make tokens, hashed as they are read; anything else takes `general`. */
  private tokenize(raw: string): number {
    let count = 0
    let start = -1
    let hash = FNV_OFFSET
    for (let i = 0; i <= raw.length; i++) {
      const read = i < raw.length ? raw.charCodeAt(i) : 32
      // beyond ASCII, or an apostrophe (`O'Brien` is one token): the general path folds and joins
      if (read > 127 || read === 39) return this.general(raw)
      const code = read | 32
      if (code >= 97 && code <= 122) {
        if (start < 0) {
          start = i
          hash = FNV_OFFSET
        }
        hash = Math.imul(hash ^ code, FNV_PRIME)
        continue
      }
      if (start >= 0) {
        const id = this.table.idOfHashedRange(raw, start, i, true, hash)
        if (id >= this.ignoredBelow && count < this.out.length) this.out[count++] = id
        start = -1
      }
    }
    return count
  }

  private general(raw: string): number {
    let count = 0
    for (const token of nameTokens(raw)) if (count < this.out.length) this.out[count++] = this.table.id(token)
    return count
  }

  /** The id of the tokens joined without separator. */
  joined(count: number): number {
    if (count === 1) return this.out[0] as number
    let text = ""
    for (let t = 0; t < count; t++) text += this.table.values[this.out[t] as number]
    return this.table.id(text)
  }

  isParticle(id: number): boolean {
    return id >= this.ignoredBelow && id < this.particlesBelow
  }

  phoneticOf(id: number): number {
    if (id >= this.phonetic.length) {
      const grown = new Int32Array(Math.max(id + 1, this.phonetic.length * 2))
      grown.set(this.phonetic)
      this.phonetic = grown
    }
    let code = this.phonetic[id] as number
    if (code === 0) {
      code = phoneticCode(this.table.values[id] as string)
      this.phonetic[id] = code
    }
    return code
  }
}
