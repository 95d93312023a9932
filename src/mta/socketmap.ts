// A Postfix socketmap server (socketmap_table(5)): live table lookups answered
// from the database, so Postfix needs no regenerated files. Off by default; main.ts
// starts it when MAILROOM_SOCKETMAP is "inet:HOST:PORT" or "unix:/path". Maps:
//   transport  list address -> lmtp:[host]:port      (transport_maps)
//   recipient  list address -> OK                    (relay_recipient_maps)
//   domain     list domain  -> itself                (relay_domains)
//   virtual    x@mailHost   -> x@aliasDomain         (virtual_alias_maps)
import { chmod, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import { createListLookup, type ListLookup } from "./lookup.js";
import { encodeNetstring, NetstringDecoder } from "./netstring.js";

export interface SocketmapDeps { db: Database; config: Config; log: Logger }
export interface Socketmap { address: string; close(): Promise<void> }

export const SOCKETMAP_NAMES = ["transport", "recipient", "domain", "virtual"] as const;

type Listen = { kind: "inet"; host: string; port: number } | { kind: "unix"; path: string };

export function parseSocketmapAddress(spec: string): Listen {
  if (spec.startsWith("unix:") && spec.length > 5) return { kind: "unix", path: spec.slice(5) };
  const m = /^inet:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(spec);
  if (m && Number(m[2]) <= 65535) return { kind: "inet", host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  throw new Error(`MAILROOM_SOCKETMAP must be "inet:HOST:PORT" or "unix:/path", got "${spec}"`);
}

/** One request `name key` to one reply, without the netstring framing. */
export async function answer(request: string, lookup: ListLookup, transport: string): Promise<string> {
  const sp = request.indexOf(" ");
  if (sp <= 0 || sp === request.length - 1) return "PERM malformed request";
  const name = request.slice(0, sp);
  const key = request.slice(sp + 1).trim().toLowerCase();
  try {
    switch (name) {
      case "transport":
      case "recipient": {
        if (!key.includes("@")) return "NOTFOUND ";
        const list = await lookup.listAddress(key);
        if (!list) return "NOTFOUND ";
        return name === "transport" ? `OK ${transport}` : "OK OK";
      }
      case "domain":
        return !key.includes("@") && !key.startsWith(".") && (await lookup.isListDomain(key)) ? `OK ${key}` : "NOTFOUND ";
      case "virtual": {
        if (!key.includes("@")) return "NOTFOUND ";
        const list = await lookup.listAddress(key);
        if (!list || !list.aliasDomain || list.viaAlias) return "NOTFOUND ";
        return `OK ${key.slice(0, key.lastIndexOf("@"))}@${list.aliasDomain}`;
      }
      default:
        return `PERM unknown map "${name.slice(0, 40)}"`;
    }
  } catch {
    // Postfix defers the mail on TEMP and retries: never a wrong NOTFOUND.
    return "TEMP database unavailable";
  }
}

export async function startSocketmap(deps: SocketmapDeps): Promise<Socketmap> {
  const { config, log } = deps;
  const where = parseSocketmapAddress(config.socketmap ?? "");
  const lookup = createListLookup(deps.db);
  const transport = `lmtp:[${config.transport.host}]:${config.transport.port}`;
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(300_000, () => socket.destroy());
    const decoder = new NetstringDecoder();
    // Replies go out in request order even though lookups are async.
    let chain = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      let requests: string[];
      try {
        requests = decoder.push(chunk);
      } catch (err) {
        log.warn({ err: (err as Error).message }, "socketmap: bad request framing; closing");
        socket.destroy();
        return;
      }
      for (const req of requests) {
        chain = chain.then(async () => {
          const reply = await answer(req, lookup, transport);
          log.debug({ request: req, reply }, "socketmap lookup");
          if (!socket.destroyed) socket.write(encodeNetstring(reply));
        });
      }
    });
  });

  if (where.kind === "unix") await rm(where.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (where.kind === "unix") server.listen(where.path, resolve);
    else server.listen(where.port, where.host, resolve);
  });
  // Postfix daemons run as the postfix user and must be able to connect.
  if (where.kind === "unix") await chmod(where.path, 0o666);
  const addr = server.address();
  const address = where.kind === "unix" ? `unix:${where.path}` : `inet:${where.host}:${typeof addr === "object" && addr ? addr.port : where.port}`;

  return {
    address,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      if (where.kind === "unix") await rm(where.path, { force: true }).catch(() => {});
    },
  };
}
