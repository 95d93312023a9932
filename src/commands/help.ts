// The text of the `help` reply, naming the list's own addresses. Pure; called by the
// command handler.

import { postingAddress, subaddressOf, type Subaddress } from "../domain/list-address.js";

export interface HelpList { displayName: string; listName: string; mailHost: string }

export function helpText(list: HelpList): string {
  const at = (sub: Subaddress) => subaddressOf(list.listName, list.mailHost, sub);
  return [
    `Help for the ${list.displayName} mailing list (${postingAddress(list)}).`,
    "",
    `Send commands in the Subject or the body of a message to ${at("request")}`,
    "(one per line; a line with `end` stops reading):",
    "",
    "  help                 this text",
    "  join [address]       subscribe (alias: subscribe); a confirmation is mailed first",
    "  leave [address]      unsubscribe (alias: unsubscribe)",
    "  confirm TOKEN        confirm a pending request",
    "  who                  the list of members, when the list shows it",
    "  end                  stop reading commands",
    "",
    `Shortcuts: an empty message to ${at("join")} subscribes, to ${at("leave")} unsubscribes.`,
    `The list's owners read ${at("owner")}.`,
  ].join("\n");
}
