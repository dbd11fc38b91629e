/**
 * graphile-worker's schema (`graphile_worker`), installed by the same steps that migrate the store: a sync requested
 * before any worker has started is then already kept in the queue. graphile-worker tracks its own migrations; a
 * worker starting later with a newer version brings the schema up itself.
 */

import { Logger, runMigrations } from "graphile-worker"
import { query } from "./DatabaseError.ts"

/** graphile-worker's own logs of a migration, dropped: the store's migrations say what ran. */
const quiet = new Logger(() => () => {})

/** Installs or upgrades graphile-worker's schema in the database at `url` (the login must be able to create it). */
export const install = (url: string): Promise<void> =>
  runMigrations({ connectionString: url, logger: quiet, maxPoolSize: 1 })

/** `install` as an Effect failing with a `DatabaseError`. */
export const installEffect = (url: string) => query(() => install(url))
