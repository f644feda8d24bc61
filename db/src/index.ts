export {
  createSql,
  isEmbedded,
  ping,
  type Sql,
  type SqlOptions,
  type TransactionSql,
} from "./client.ts";
