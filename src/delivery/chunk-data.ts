// The data of a delivery chunk job (queue "out", kind "chunk"): the recipients one
// list post goes to in one unit of work, and the state of each of them. Written by
// expand.ts, advanced by settle.ts, read by the handler and by anyone asking what
// happened to a recipient. Indexes point into `rcpt`, which keeps it compact.

export interface ChunkJobData {
  kind: "chunk";
  /** The job this chunk came from (id as text): the list-post job, or the list job when the list stage expanded a small roster itself. */
  parent: string;
  /** MailingList.id (the job's listId holds the list id string). */
  list: number;
  /** One SMTP transaction per member with a VERP envelope sender. */
  verp: boolean;
  personalize: "none" | "individual" | "full";
  /** When the post entered delivery: the retry deadline counts from here (ISO 8601). */
  postedAt: string;
  /** Recipient addresses as members spelt them. */
  rcpt: string[];
  /** Display names, parallel to rcpt (personalised chunks only). */
  names?: string[] | null;
  /** After a deferral: indexes of the recipients still to be sent; absent = all of them. */
  pending?: number[];
  /** Refused for good: [index, reply]. A BounceEvent was recorded for each. */
  failed?: [number, string][];
  /** Still deferred when the retry deadline passed: [index, last reply]. */
  expired?: [number, string][];
  /** Deferrals so far (drives the backoff). */
  tries?: number;
  /** Last temporary reply per pending recipient index, for operators. */
  deferred?: [number, string][];
}

/** A DirectDelivery job (src/domain/out-job.ts) plus the same per-recipient state. */
export interface DirectJobState {
  kind: "direct";
  recipients: string[];
  envelopeFrom: string;
  pending?: number[];
  failed?: [number, string][];
  expired?: [number, string][];
  tries?: number;
  deferred?: [number, string][];
}
