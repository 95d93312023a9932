// A stand-in for HyperKitty's Mailman archiver API (hyperkitty/views/mailman.py) on a
// real HTTP port, for tests that run without Django: it checks the key the way
// key_and_ip_auth does ("Authorization: Token <key>", else 401), takes
// api/mailman/archive as multipart (mlist + the file "message"), keeps a post once
// per Message-ID (HyperKitty's DuplicateMessage) while counting every POST, and
// answers api/mailman/urls with the URLs HyperKitty's _get_url builds. It can go down
// (its port closed) and come back on the same port. The real HyperKitty runs in the
// web UI e2e test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { messageIdHash } from "../../src/domain/message-id.js";
import { RawMessage } from "../../src/domain/raw-message.js";

export const STANDIN_PUBLIC = "https://archive.example.com/hyperkitty/";

export interface StandInPost { mlist: string; messageId: string; raw: Buffer; filename: string; authorization: string }

export interface HyperKittyStandIn {
  /** Base URL for MAILROOM_HYPERKITTY_URL. */
  url: string;
  key: string;
  /** Every archive POST that got through the key check, in order (duplicates included). */
  posts: StandInPost[];
  /** Requests refused for a wrong or missing key. */
  refused: number;
  /** The URL HyperKitty would give a list or a post. */
  urlFor(mlist: string, messageId?: string): string;
  /** Closes the port (HyperKitty down). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startHyperKittyStandIn(key = "the-archiver-key"): Promise<HyperKittyStandIn> {
  let server: Server | null = null;
  let port = 0;
  const self: HyperKittyStandIn = {
    url: "",
    key,
    posts: [],
    refused: 0,
    urlFor(mlist, messageId) {
      const list = `${STANDIN_PUBLIC}list/${mlist}/`;
      return messageId === undefined ? list : `${list}message/${messageIdHash(messageId)}/`;
    },
    async down() {
      if (!server) return;
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async up() {
      if (server) return;
      const s = createServer((req, res) => { handle(req, res).catch(() => { res.statusCode = 500; res.end(); }); });
      await new Promise<void>((resolve, reject) => { s.once("error", reject); s.listen(port, "127.0.0.1", () => resolve()); });
      port = (s.address() as AddressInfo).port;
      self.url = `http://127.0.0.1:${port}/hyperkitty/`;
      server = s;
    },
    async close() { await self.down(); },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const answer = (status: number, json: object) => {
      res.writeHead(status, { "content-type": "application/javascript" });
      res.end(JSON.stringify(json));
    };
    const authorization = String(req.headers.authorization ?? "");
    if (authorization !== `Token ${key}`) {
      self.refused++;
      res.writeHead(401, { "content-type": "text/html" });
      res.end("<html><title>Auth required</title></html>");
      return;
    }
    const u = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && u.pathname === "/hyperkitty/api/mailman/urls") {
      const mlist = u.searchParams.get("mlist") ?? "";
      const msgid = u.searchParams.get("msgid");
      return answer(200, { url: self.urlFor(mlist, msgid === null ? undefined : `<${msgid}>`) });
    }
    if (req.method === "POST" && u.pathname === "/hyperkitty/api/mailman/archive") {
      // Multipart parsed by the same WHATWG FormData a browser would build.
      const form = await new Response(body, { headers: { "content-type": String(req.headers["content-type"]) } }).formData();
      const file = form.get("message");
      const mlist = form.get("mlist");
      if (typeof mlist !== "string" || !(file instanceof Blob)) return answer(400, { error: "no mlist or message" });
      const raw = Buffer.from(await file.arrayBuffer());
      const messageId = RawMessage.parse(raw).get("Message-ID")?.trim() ?? "";
      self.posts.push({ mlist, messageId, raw, filename: (file as File).name, authorization });
      return answer(200, { url: self.urlFor(mlist, messageId) });
    }
    res.writeHead(404);
    res.end();
  }

  await self.up();
  return self;
}
