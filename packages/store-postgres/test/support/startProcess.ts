/**
 * A process that starts as the API's `main` does — `PgDatabase.layerConfig` under `DatabaseServer.launch`, a banner
 * naming the database — configured by the environment, for tests that watch its output and its exit.
 */
import { Cause, Console, Effect, Exit, Layer } from "effect"
import * as DatabaseLogin from "../../src/DatabaseLogin.ts"
import * as DatabaseServer from "../../src/DatabaseServer.ts"
import * as PgDatabase from "../../src/PgDatabase.ts"
import { redactText } from "../../src/Redaction.ts"

const Ready = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* DatabaseServer.DatabaseServer
    const login = yield* DatabaseLogin.inspect(yield* PgDatabase.PgDatabase)
    yield* Console.log(`ready: ${DatabaseServer.displayUrl(server.url)} as ${login.login}`)
  }),
)

Effect.runPromiseExit(DatabaseServer.launch(Ready.pipe(Layer.provideMerge(PgDatabase.layerConfig)))).then((exit) => {
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
    console.error(redactText(Cause.pretty(exit.cause)))
    process.exit(1)
  }
})
