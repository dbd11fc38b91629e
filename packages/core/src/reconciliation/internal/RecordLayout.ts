/**
 * Where comparing finds a record's fields: one 64-byte row per record (`Prepared.rows`, `ROW` ints, offsets `R_*`)
 * and one run of email entries per record (`Prepared.emailEntries`, `EMAIL_ENTRY` ints an entry, offsets `E_*`).
 * Comparing reads the fields of two records that may lie far apart in memory: in a row they cost one cache miss,
 * in as many columns one miss each.
 */

/** ints a record's row holds in `Prepared.rows`, and where each field sits in it (-1 / 0 absent, as the columns) */
export const ROW = 16
export const R_FIRST_FULL = 0
export const R_FIRST = 1
export const R_PREFERRED = 2
export const R_MIDDLE = 3
export const R_LAST = 4
export const R_LAST_A = 5
export const R_LAST_B = 6
export const R_DOB = 7
export const R_SSN = 8
/** the record's email entries: from R_EMAILS up to R_EMAILS_END; phones likewise */
export const R_EMAILS = 9
export const R_EMAILS_END = 10
export const R_PHONES = 11
export const R_PHONES_END = 12
export const R_NUMBER = 13
export const R_START_DATE = 14
/** 1 when the record has a postal code, city or street */
export const R_RESIDENCE = 15

export const EMAIL_ENTRY = 8
export const E_ID = 0
export const E_LOCAL = 1
export const E_DOMAIN = 2
export const E_SHAPE = 3
export const E_MASK = 4
export const E_FLAGS = 5
/** the `characterMask` of the local part alone */
export const E_LOCAL_MASK = 6
/** FNV-1a of the local part's digits (0: none): two addresses with other numbers are two addresses, not a typo */
export const E_DIGITS = 7
/** flag: a personal (not work) address */
export const E_PERSONAL = 1
/** flag: its local part holds a digit (`jb88`: more than a name) */
export const E_LOCAL_DIGIT = 2
/** flag: its local part's letters are the record's own name (`john.smith63`, `jsmith`): it says little beyond the name */
export const E_NAME_SHAPED = 4
