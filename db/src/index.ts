export {
  createSql,
  describeDatabase,
  isEmbedded,
  ping,
  type Sql,
  type SqlOptions,
  type TransactionSql,
  waitForDatabase,
} from "./client.ts";
