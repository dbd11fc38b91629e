/**
 * A Soundex-style phonetic code as a small integer, used only to build blocking keys (never as evidence):
 * names that sound alike (`smyth`/`smith`, `kristen`/`christen`) land in the same block.
 */

// a b c d e f g h i j k l m n o p q r s t u v w x y z
const classes = [0, 1, 2, 3, 0, 1, 2, 7, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, 7, 2, 0, 2]

/** The code of a lower-case ASCII name (0 for ""). Equal codes mean "sounds alike". */
export const phoneticCode = (name: string): number => {
  if (name.length === 0) return 0
  let first = name.charCodeAt(0) - 97
  // letters that sound the same at the start share one code: c/k/q, ph/f
  if (first === 2 || first === 16) first = 10
  if (first === 15 && name.charCodeAt(1) === 104) first = 5
  let code = first + 1
  let previous = classes[name.charCodeAt(0) - 97] ?? 0
  let length = 1
  for (let i = 1; i < name.length && length < 5; i++) {
    const letter = name.charCodeAt(i) - 97
    const cls = letter >= 0 && letter < 26 ? (classes[letter] ?? 0) : 0
    if (cls === 7) continue // h and w do not separate equal consonants
    if (cls !== 0 && cls !== previous) {
      code = code * 8 + cls
      length++
    }
    previous = cls
  }
  return code * 8 + length
}
