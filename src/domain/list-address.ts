// List addresses: posting address, RFC 2919 list id, and the sub-addresses that
// Mailman 3's LMTP runner accepts (runners/lmtp.py SUBADDRESS_NAMES), each also
// with a "+anything" extension (VERP, confirmation tokens, tags).

/** Sub-address suffix → the queue its mail goes to. */
export const SUBADDRESSES = {
  bounces: "bounces",
  confirm: "command",
  join: "command",
  leave: "command",
  owner: "owner",
  request: "command",
  subscribe: "command",
  unsubscribe: "command",
} as const;

export type Subaddress = keyof typeof SUBADDRESSES;
export type QueueForRecipient = "list" | (typeof SUBADDRESSES)[Subaddress];

/** The list's posting address, `name@mailhost`. */
export function postingAddress(list: { listName: string; mailHost: string }): string {
  return `${list.listName}@${list.mailHost}`;
}

/** RFC 2919 list id: `name.mailhost`. */
export function listIdOf(listName: string, mailHost: string): string {
  return `${listName}.${mailHost}`;
}

export interface RecipientParts {
  /** Lower-cased list name candidate. */
  listName: string;
  /** Lower-cased domain. */
  mailHost: string;
  /** null for the posting address. */
  subaddress: Subaddress | null;
  /** Text after "+" (VERP data, token), case kept; null if none. */
  extension: string | null;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Every way to read `local@domain` as a list recipient. `a-b-request@x` may be the
 * posting address of list "a-b-request" or the -request address of list "a-b":
 * both candidates are returned, posting address first, and the caller picks the one
 * whose list exists (list names may themselves contain "-" or a sub-address word).
 */
export function recipientCandidates(address: string): RecipientParts[] {
  // No list name holds a control character, and PostgreSQL refuses a NUL in text:
  // such an address names no list, and never reaches the lookup query.
  if (CONTROL.test(address)) return [];
  const at = address.lastIndexOf("@");
  if (at <= 0) return [];
  const mailHost = address.slice(at + 1).toLowerCase();
  let local = address.slice(0, at);
  let extension: string | null = null;
  const plus = local.indexOf("+");
  if (plus >= 0) {
    extension = local.slice(plus + 1);
    local = local.slice(0, plus);
  }
  local = local.toLowerCase();
  if (!local || !mailHost) return [];
  const out: RecipientParts[] = [{ listName: local, mailHost, subaddress: null, extension }];
  const dash = local.lastIndexOf("-");
  if (dash > 0) {
    const suffix = local.slice(dash + 1);
    if (Object.hasOwn(SUBADDRESSES, suffix)) {
      out.push({ listName: local.slice(0, dash), mailHost, subaddress: suffix as Subaddress, extension });
    }
  }
  return out;
}

export function queueFor(subaddress: Subaddress | null): QueueForRecipient {
  return subaddress === null ? "list" : SUBADDRESSES[subaddress];
}

/** `{list}-bounces@{domain}`, or the VERP form `{list}-bounces+{local}={domain}@{listdomain}`. */
export function bouncesAddress(listName: string, mailHost: string, verpFor?: string): string {
  if (!verpFor) return `${listName}-bounces@${mailHost}`;
  const at = verpFor.lastIndexOf("@");
  return `${listName}-bounces+${verpFor.slice(0, at)}=${verpFor.slice(at + 1)}@${mailHost}`;
}

/** A VERP probe's return path, `{list}-bounces+{token}@{domain}` (Mailman's verp_probe_format). */
export function probeAddress(listName: string, mailHost: string, token: string): string {
  return `${listName}-bounces+${token}@${mailHost}`;
}

/** The probe token in a -bounces extension: one without "=" (that is a member's VERP). */
export function probeToken(extension: string | null): string | null {
  return extension && /^[0-9a-f]{32}$/i.test(extension) ? extension.toLowerCase() : null;
}

/** Decode a VERP extension `local=domain` back to `local@domain` (null if not VERP). */
export function decodeVerp(extension: string | null): string | null {
  if (!extension) return null;
  const eq = extension.lastIndexOf("=");
  if (eq <= 0 || eq === extension.length - 1) return null;
  return `${extension.slice(0, eq)}@${extension.slice(eq + 1)}`;
}

export function subaddressOf(listName: string, mailHost: string, sub: Subaddress): string {
  return `${listName}-${sub}@${mailHost}`;
}

export const SUBADDRESS_NAMES = Object.keys(SUBADDRESSES) as Subaddress[];
