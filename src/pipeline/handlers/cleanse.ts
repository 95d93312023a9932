// cleanse (Mailman handlers/cleanse.py): headers a list must not pass on. Approved
// carries the moderator password; receipt requests would make every member's
// client mail the poster. On an anonymous list the poster's identity goes too.
import { formatMailbox } from "../../domain/raw-message.js";
import { postingAddress } from "../../domain/list-address.js";
import type { Handler } from "./handler.js";

const ALWAYS = [
  "Approved", "Approve", "X-Approved", "X-Approve", "Urgent",
  "Return-Receipt-To", "Disposition-Notification-To", "X-Confirm-Reading-To", "X-PMRQC",
];
const ANONYMOUS = ["From", "Reply-To", "Sender", "Organization", "Return-Path", "X-Originating-Email", "X-Originating-IP"];

const handler: Handler = {
  name: "cleanse",
  description: "Cleanse certain headers from all messages.",
  process({ msg, list }) {
    for (const h of ALWAYS) msg.remove(h);
    if (list.anonymousList) {
      for (const h of ANONYMOUS) msg.remove(h);
      msg.append("From", formatMailbox(list.displayName, postingAddress(list)));
      msg.append("Reply-To", postingAddress(list));
    }
  },
};

export default handler;
