// The hand-off from the posting pipeline (and from anything else that sends mail)
// to delivery: the data of an "out" job. The job's messageId is the Message row
// holding the bytes to send (for a list post: decorated, with list headers added).

/** A post to every member of a list who should get it. */
export interface ListPostDelivery {
  kind: "list-post";
  /** The list's id string (job.listId holds it too). */
  listId: string;
  /** Lower-case address keys not to send to (poster who opted out, To/Cc duplicates). */
  exclude: string[];
  /** Mailman's personalize setting at the time of the post. */
  personalize: "none" | "individual" | "full";
}

/** A message to a fixed set of addresses: notices, rejections, command replies, digests. */
export interface DirectDelivery {
  kind: "direct";
  recipients: string[];
  /** Envelope sender; "" for the null sender (RFC 3464 bounces). */
  envelopeFrom: string;
}

export type OutJobData = ListPostDelivery | DirectDelivery;
