/**
 * `pnpm reconcile <records.jsonl> [--out assignments.jsonl]` — see packages/core/src/reconciliation/README.md.
 * Paths are relative to where pnpm was started (INIT_CWD), not to this package.
 */
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { reconcileFile } from "./ReconcileFile.ts"

const usage = "usage: pnpm reconcile <records.jsonl> [--out assignments.jsonl]"

const args = process.argv.slice(2)
const outFlag = args.indexOf("--out")
const outputArg = outFlag >= 0 ? args[outFlag + 1] : undefined
const inputArg = args.find((arg, k) => !arg.startsWith("--") && (outFlag < 0 || k !== outFlag + 1))
const base = process.env.INIT_CWD ?? process.cwd()

if (inputArg === undefined || (outFlag >= 0 && outputArg === undefined)) {
  console.error(usage)
  process.exit(2)
}

const program = reconcileFile(
  path.resolve(base, inputArg),
  outputArg === undefined ? undefined : path.resolve(base, outputArg),
).pipe(
  Effect.tap((stats) =>
    Effect.sync(() =>
      console.error(
        `reconciled ${stats.records} records into ${stats.persons} persons (${stats.merges} merges, ${stats.candidatePairs} candidate pairs)`,
      ),
    ),
  ),
  Effect.catchAll((error) =>
    Effect.sync(() => {
      console.error(`reconcile: ${error.message}`)
      process.exitCode = 1
    }),
  ),
)

Effect.runPromise(program)
