/**
 * Whether the database can serve: reachable, and every migration this code knows applied. Read through the
 * `applied_migrations()` function, so the application roles can ask without reading the migrator's table.
 */
import { Effect } from "effect"
import { type Kysely, sql } from "kysely"
import type { Database } from "./Database.ts"
import { type DatabaseError, query } from "./DatabaseError.ts"
import { migrations } from "./Migrations.ts"

/** The migrations this code knows that the database has not applied (empty when current). */
export const pendingMigrations = (db: Kysely<Database>): Effect.Effect<ReadonlyArray<string>, DatabaseError> =>
  query(() => sql<{ name: string }>`select applied_migrations() as name`.execute(db)).pipe(
    Effect.map((result) => {
      const applied = new Set(result.rows.map((row) => row.name))
      return Object.keys(migrations).filter((name) => !applied.has(name))
    }),
    Effect.withSpan("SchemaStatus.pendingMigrations"),
  )
