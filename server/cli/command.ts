export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad input. */
  run(args: string[]): Promise<number>;
}
