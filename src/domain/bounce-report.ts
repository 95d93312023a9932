// What bounce parsing finds in a message sent to a list's -bounces address:
// which recipients failed and whether for good. Produced by src/bounces/parse.ts,
// consumed by the bounce-scoring service.

/** RFC 3463: 5.x.x is permanent (it counts towards the score), 4.x.x temporary (it does not). */
export type BounceClass = "permanent" | "temporary";

export interface BouncedRecipient {
  /** The failed address as the report gives it (display spelling). */
  address: string;
  kind: BounceClass;
  /** RFC 3464 Status (e.g. "5.1.1") when known. */
  status?: string;
  /** Diagnostic text: the remote reply or the report's own words. */
  reason?: string;
}

export interface BounceReport {
  /** False when nothing could be read: the message goes to the owners. */
  recognised: boolean;
  /** Which reader found the recipients: "dsn", "verp", a pattern name, "x-failed-recipients". */
  format: string;
  recipients: BouncedRecipient[];
  /**
   * Set when the message is not a delivery failure at all but an auto-reply (a
   * vacation message sent to the VERP address): the marker that says so. Nothing
   * is scored and nothing forwarded.
   */
  autoReply?: string;
  /** Message-ID of the bounce itself, for the record. */
  messageId: string;
  subject: string;
}
