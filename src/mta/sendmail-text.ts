// Builds the text of Sendmail's three generated files from the list rows:
//   sendmail_access         To:ADDRESS OK for every list address at its mail host, and
//                           To:DOMAIN ERROR:5.1.1:550 … for the rest of a list domain
//                           (access_db + blocklist_recipients: 550 at RCPT);
//   sendmail_mailertable    DOMAIN lmtp:[HOST]: the domain's mail goes to mailroom over LMTP;
//   sendmail_relay_domains  one list domain a line (the relay-domains class, read at start).
// Sendmail delivers x@mailHost as it is (mailroom knows a list under its mail host
// and its alias domain), so an alias domain plays no part here. Pure; see layouts.ts.
import { listAddresses, usableName, type ListRow, type MapContent } from "./map-text.js";

export interface SendmailSet {
  access: MapContent;
  mailertable: MapContent;
  relayDomains: MapContent;
  skipped: ListRow[];
}

export const UNKNOWN_LIST_REPLY = "ERROR:5.1.1:550 unknown list address";

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `head` is each file's header comment (map-text.ts header()). */
export function buildSendmailMaps(rows: Iterable<ListRow>, transportHost: string, head: { map: string; cls: string }): SendmailSet {
  const skipped: ListRow[] = [];
  const listsByHost = new Map<string, string[]>();
  for (const row of rows) {
    if (!usableName(row.listName) || !usableName(row.mailHost)) {
      skipped.push(row);
      continue;
    }
    let names = listsByHost.get(row.mailHost);
    if (!names) listsByHost.set(row.mailHost, (names = []));
    names.push(row.listName);
  }
  const hosts = [...listsByHost.keys()].sort(byText);
  const mailer = `lmtp:[${transportHost}]`;

  // Group ids: "@host" for a domain's refusal line, "name@host" for a list's lines.
  const accessLines = (id: string): [string, string][] =>
    id.startsWith("@")
      ? [[`To:${id.slice(1)}`, UNKNOWN_LIST_REPLY]]
      : listAddresses(id.slice(0, id.lastIndexOf("@")), id.slice(id.lastIndexOf("@") + 1)).map((a) => [`To:${a}`, "OK"]);
  const accessParts = [head.map];
  const accessGroups = new Set<string>();
  for (const host of hosts) {
    accessParts.push(`# Lists at ${host}; any other address there is refused at RCPT.\n`);
    for (const id of [`@${host}`, ...listsByHost.get(host)!.sort(byText).map((n) => `${n}@${host}`)]) {
      accessGroups.add(id);
      for (const [k, v] of accessLines(id)) accessParts.push(`${k} ${v}\n`);
    }
    accessParts.push("\n");
  }

  const mailertableParts = [head.map, ...hosts.map((h) => `${h} ${mailer}\n`)];
  const relayParts = [head.cls, ...hosts.map((h) => `${h}\n`)];
  return {
    access: { text: accessParts.join(""), params: "", groups: accessGroups, linesOf: accessLines },
    mailertable: { text: mailertableParts.join(""), params: mailer, groups: new Set(hosts), linesOf: (h) => [[h, mailer]] },
    relayDomains: { text: relayParts.join(""), params: "", groups: new Set(hosts), linesOf: (h) => [[h, ""]] },
    skipped,
  };
}
