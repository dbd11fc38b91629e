import pg from "pg"

/** Runs one statement on its own session (CREATE/DROP DATABASE cannot run inside a pool's transaction). */
export const adminQuery = async (serverUrl: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
