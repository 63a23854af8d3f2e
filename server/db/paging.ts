/** A window of rows by id, newest first unless `oldestFirst` (Relay `last`/`before` pages read backwards). */
export interface IdWindow {
  /** Only rows with a smaller id (the Relay `after` cursor in a newest-first list). */
  olderThan?: number;
  /** Only rows with a larger id (the Relay `before` cursor). */
  newerThan?: number;
  limit: number;
  oldestFirst?: boolean;
}
