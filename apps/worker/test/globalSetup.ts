// A fresh, migrated database per test file (graphile-worker's schema included), as in store-postgres.
export { default } from "@finch-connections/store-postgres/testing/globalSetup"
