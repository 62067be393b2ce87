// Public surface of @bat/store.
export {
  Store,
  StoreError,
  StoreLive,
  makeStore,
  migrate,
  openDatabase,
  pruneRetention,
  type Db,
  type Migration,
  type OpenOptions,
  type OutboxMessage,
  type StoreOptions,
  type StoreShape
} from "./Store.ts"
