/** The slice of a pino logger the database code uses; tests pass a recorder or nothing. */
export interface DbLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
