// Which files mailroom generates for the MTA named by MAILROOM_MTA_INCOMING (Mailman's
// `[mta] incoming`), how each is compiled, and which changes the MTA must be told
// about. map-writer.ts writes whatever layout it is given, the same way for all
// three (atomic rename, 503 and rollback on failure); maps.ts picks the reload command.
//   postfix:  postfix_lmtp, postfix_domains, postfix_vmap (hash:, postmap)   docs/postfix.md
//   exim:     exim_lmtp, exim_domains, exim_vmap (lsearch text, read per lookup)   docs/exim.md
//   sendmail: sendmail_access, sendmail_mailertable (hash, makemap), sendmail_relay_domains   docs/sendmail.md
import type { Config, MtaName } from "../config/index.js";
import { makemapCompiler, postmapCompiler, type MapCompiler } from "./map-compiler.js";
import { buildMaps, header, HEADER, type ListRow, type MapContent } from "./map-text.js";
import { buildSendmailMaps } from "./sendmail-text.js";

export interface LayoutFile {
  name: string;
  /** Builds PATH.db from the text; null: the MTA reads the text itself. */
  compiler: MapCompiler | null;
  /** A change to this file is only seen once the MTA reloads (runs the reload command). */
  reloads: boolean;
}

export interface Layout {
  mta: MtaName;
  files: LayoutFile[];
  /** One content per file, in `files` order; rows ordered as buildMaps needs. */
  build(rows: ListRow[]): { contents: MapContent[]; skipped: ListRow[] };
}

export const FILE_NAMES: Record<MtaName, readonly string[]> = {
  postfix: ["postfix_lmtp", "postfix_domains", "postfix_vmap"],
  exim: ["exim_lmtp", "exim_domains", "exim_vmap"],
  sendmail: ["sendmail_access", "sendmail_mailertable", "sendmail_relay_domains"],
};

const EXIM_HEADER = header("and is read by Exim\n# as an lsearch file at each lookup");
const MAKEMAP_HEADER = header("and is kept in sync\n# with the binary hash file (.db) by makemap");
const CLASS_HEADER = header("and is read by\n# Sendmail at start (mailroom runs MAILROOM_SENDMAIL_RELOAD when it changes)");

export function layoutFor(config: Config, onCompile?: () => void): Layout {
  const { host, port } = config.transport;
  const names = FILE_NAMES[config.mtaIncoming];
  switch (config.mtaIncoming) {
    case "postfix": {
      // Postfix sees a changed map late without a reload (docs/postfix.md): every file reloads.
      const compiler = config.postmap ? postmapCompiler(config.postmap, config.postfixConfigDir, onCompile) : null;
      return {
        mta: "postfix",
        files: names.map((name) => ({ name, compiler, reloads: true })),
        build(rows) {
          const m = buildMaps(rows, host, port, HEADER);
          return { contents: [m.lmtp, m.domains, m.vmap], skipped: m.skipped };
        },
      };
    }
    case "exim":
      // Exim opens lsearch files afresh in each process (one per SMTP connection): no reload.
      return {
        mta: "exim",
        files: names.map((name) => ({ name, compiler: null, reloads: false })),
        build(rows) {
          const m = buildMaps(rows, host, port, EXIM_HEADER);
          return { contents: [m.lmtp, m.hosts, m.vmap], skipped: m.skipped };
        },
      };
    case "sendmail": {
      // Sendmail re-opens a rebuilt hash map by itself, but reads the relay-domains class only at start.
      const compiler = config.makemap ? makemapCompiler(config.makemap, onCompile) : null;
      return {
        mta: "sendmail",
        files: [
          { name: names[0]!, compiler, reloads: false },
          { name: names[1]!, compiler, reloads: false },
          { name: names[2]!, compiler: null, reloads: true },
        ],
        build(rows) {
          const m = buildSendmailMaps(rows, host, { map: MAKEMAP_HEADER, cls: CLASS_HEADER });
          return { contents: [m.access, m.mailertable, m.relayDomains], skipped: m.skipped };
        },
      };
    }
  }
}

/** The reload command for the configured MTA (Exim needs none). */
export function reloadCommand(config: Config): { command: string | null; configDir: string | null } {
  switch (config.mtaIncoming) {
    case "postfix": return { command: config.postfixReload, configDir: config.postfixConfigDir };
    case "sendmail": return { command: config.sendmailReload, configDir: null };
    case "exim": return { command: null, configDir: null };
  }
}
