/**
 * Given-name nicknames (`william` ~ `bill`, `will`, `billy`): two names match as nicknames when one is a listed
 * nickname of the other or both are listed nicknames of one formal name. The list is noisy, so a nickname match is
 * its own, weaker level of evidence.
 */
import { nicknamePairs } from "./NicknameData.ts"

const groupsByName: Map<string, Array<number>> = (() => {
  const groups = new Map<string, Array<number>>()
  const add = (name: string, group: number) => {
    const list = groups.get(name)
    if (list === undefined) groups.set(name, [group])
    else if (!list.includes(group)) list.push(group)
  }
  nicknamePairs.split(";").forEach((entry, group) => {
    const [formal = "", nicknames = ""] = entry.split(":")
    add(formal, group)
    for (const nickname of nicknames.split(",")) add(nickname, group)
  })
  return groups
})()

/** The nickname groups a lower-case given name belongs to (empty when none). */
export const nicknameGroups = (name: string): ReadonlyArray<number> => groupsByName.get(name) ?? []

/** Whether two lower-case given names are nicknames of each other. */
export const areNicknames = (a: string, b: string): boolean => {
  if (a === b) return false
  const groupsA = groupsByName.get(a)
  const groupsB = groupsByName.get(b)
  if (groupsA === undefined || groupsB === undefined) return false
  for (const group of groupsA) if (groupsB.includes(group)) return true
  return false
}
