/**
 * What comparing two records yields, named once: the compared fields, each field's agreement levels, the vetoes
 * that keep a pair from linking, and how a packed comparison reads as evidence. `Comparison.ts` sets these levels,
 * `Weights.ts` gives each a prior, `Reconciliation.ts` explains links with them.
 *
 * A comparison is packed into one int: 3 bits per field, in `comparedFields` order, plus `SWAPPED_NAMES`. Level 0 of
 * every field is `missing` (absent on either side: no evidence).
 */

/** The compared fields, in the order of their 3-bit slots in a packed comparison. */
export const comparedFields = [
  "first_name",
  "last_name",
  "dob",
  "ssn",
  "email",
  "phone",
  "middle_name",
  "employee_number",
  "start_date",
  "residence",
] as const
export type ComparedField = (typeof comparedFields)[number]

/** The agreement levels of each field, by name (the names are what `explain` and `matched_by` show). */
export const Level = {
  first_name: {
    missing: 0,
    exact: 1,
    /** a nickname of the other (`bill`/`william`), a prefix of it (`chris`/`christopher`) or its preferred name */
    nickname: 2,
    /** one or two edits apart (two only for names of six letters or more) */
    typo: 3,
    /** one side is an initial, the other starts with it */
    initial: 4,
    /** Jaro–Winkler ≥ 0.85 */
    similar: 5,
    disagree: 6,
  },
  last_name: {
    missing: 0,
    exact: 1,
    /** one part of a double or hyphenated surname is the other's (married names often keep one) */
    part: 2,
    typo: 3,
    /** Jaro–Winkler ≥ 0.9 */
    similar: 4,
    disagree: 5,
  },
  dob: {
    missing: 0,
    exact: 1,
    /** the same year with day and month swapped (US and European order) */
    day_month_swap: 2,
    /** one digit substituted or two adjacent digits swapped */
    typo: 3,
    /** within about a year, or the same day of the year up to ten years apart (a mistyped year) */
    near: 4,
    disagree: 5,
  },
  ssn: { missing: 0, exact: 1, typo: 2, disagree: 3 },
  email: {
    missing: 0,
    exact: 1,
    /** the same local part at two domains, when that local part holds a digit (`jb88@`) */
    same_local_part: 2,
    /** at most two edits apart, with the same digits in the local parts (another number is another address) */
    typo: 3,
    /** no shared address (work addresses differ by employer: weak) */
    disagree: 4,
    /** no shared address where both sides have a personal one */
    disagree_personal: 5,
  },
  phone: { missing: 0, exact: 1, disagree: 2 },
  middle_name: { missing: 0, exact: 1, initial: 2, disagree: 3 },
  employee_number: { missing: 0, exact: 1, disagree: 2 },
  start_date: { missing: 0, exact: 1, disagree: 2 },
  residence: {
    missing: 0,
    /** the same street (typo-tolerant, digits exact) and house number (one keystroke), or no number and line 2 or the whole locality agreeing */
    address: 1,
    /** the same street, another or no house number */
    street: 2,
    /** every comparable part of postal code and city agrees */
    locality: 3,
    /** one of postal code and city agrees, the other not */
    partial: 4,
    disagree: 5,
  },
} as const

export type LevelName<F extends ComparedField> = keyof (typeof Level)[F]

/** Every field's level 0: absent on either side, no evidence. */
export const MISSING = 0
/** Every field's level 1: the same value (frequency-adjusted for names, dates and identifiers). */
export const EXACT = 1

/** One value per compared field. */
type PerField<A> = { readonly [F in ComparedField]: A }

const perField = <A>(f: (field: ComparedField, slot: number) => A): PerField<A> => {
  const out: Partial<Record<ComparedField, A>> = {}
  comparedFields.forEach((field, slot) => {
    out[field] = f(field, slot)
  })
  return out as PerField<A>
}

/** The bit offset of each field's level in a packed comparison. */
export const Shift: PerField<number> = perField((_, slot) => slot * 3)

/** bit set in a packed comparison when first and last name matched crosswise (swapped between systems) */
export const SWAPPED_NAMES = 1 << 30

/** The names of each field's levels, indexed by level. */
export const levelNames: PerField<ReadonlyArray<string>> = perField((field) => {
  const names: Array<string> = []
  for (const [name, level] of Object.entries(Level[field])) names[level] = name
  return names
})

/** The level (number) of `field` in a packed comparison. */
export const levelIn = (packed: number, field: ComparedField): number => (packed >>> Shift[field]) & 7

/** The level name of `field` in a packed comparison. */
export const levelOf = (packed: number, field: ComparedField): string =>
  levelNames[field][levelIn(packed, field)] ?? "missing"

/** Why a pair may never link directly, whatever its score. */
export const Veto = {
  none: 0,
  /** two well-formed SSNs more than a keystroke apart */
  different_ssn: 1,
  /** a clearly different first name without the surname and exact birth date, an identifier or the home to vouch */
  different_first_name: 2,
  /** two complete birth dates that disagree, without the first name and an identifier or the home to vouch */
  different_birth_date: 3,
  /** names or birth dates that do not all agree, and nothing else comparable agreeing */
  uncorroborated: 4,
  /**
   * each record holds a personal address built from the name with a number of its own (`john.smith38@` /
   * `john.smith39@`: two namesakes' addresses), and neither the exact birth date nor an identifier agrees
   */
  different_personal_address: 5,
} as const

export type VetoName = keyof typeof Veto

/** The veto names, indexed by veto. */
export const vetoNames = Object.keys(Veto) as ReadonlyArray<VetoName>

/** One field of a comparison, as evidence. */
export interface FieldEvidence {
  readonly field: ComparedField
  readonly level: string
}

/** The fields present on both sides of a packed comparison, with their level names. */
export const fieldsOf = (packed: number): Array<FieldEvidence> =>
  comparedFields.flatMap((field) => {
    const level = levelIn(packed, field)
    return level === MISSING ? [] : [{ field, level: levelNames[field][level] ?? "missing" }]
  })

/** The fields that agreed in a packed comparison, as `field:level` (`first_name:nickname`, `dob:exact`, `names:swapped`). */
export const agreedFieldsOf = (packed: number): Array<string> => {
  const agreed = fieldsOf(packed)
    .filter(({ level }) => !level.startsWith("disagree"))
    .map(({ field, level }) => `${field}:${level}`)
  if ((packed & SWAPPED_NAMES) !== 0) agreed.push("names:swapped")
  return agreed
}
