import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, redacted, ConfigError } from "../../src/config/index.js";

test("defaults follow the contract", () => {
  const c = loadConfig({}, { postmapFound: true, postfixFound: false });
  assert.equal(c.databaseUrl, null);
  assert.match(c.varDir, /\/var$/);
  assert.deepEqual(c.http, { host: "127.0.0.1", port: 8001 });
  assert.equal(c.lmtp.host, "127.0.0.1");
  assert.equal(c.lmtp.port, 8024);
  assert.deepEqual([c.smtp.host, c.smtp.port], ["127.0.0.1", 25]);
  assert.deepEqual(c.admin, { user: "admin", password: null });
  assert.deepEqual(c.transport, { host: "127.0.0.1", port: 8024 });
  assert.equal(c.postmap, "postmap");
  assert.equal(c.postfixReload, null);
  assert.equal(c.publicUrl, null);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http));
});

test("the transport map follows the LMTP listener unless set", () => {
  const c = loadConfig({ MAILROOM_LMTP_HOST: "10.0.0.5", MAILROOM_LMTP_PORT: "2424" });
  assert.deepEqual(c.transport, { host: "10.0.0.5", port: 2424 });
  const d = loadConfig({ MAILROOM_LMTP_PORT: "2424", MAILROOM_TRANSPORT_HOST: "mail.internal", MAILROOM_TRANSPORT_PORT: "24" });
  assert.deepEqual(d.transport, { host: "mail.internal", port: 24 });
});

test("off disables commands; a bad value is a one-line ConfigError", () => {
  assert.equal(loadConfig({ MAILROOM_POSTMAP: "off" }, { postmapFound: true, postfixFound: true }).postmap, null);
  assert.throws(() => loadConfig({ MAILROOM_HTTP_PORT: "eighty" }), (e) => e instanceof ConfigError && /MAILROOM_HTTP_PORT/.test(e.message));
  assert.throws(() => loadConfig({ MAILROOM_LMTP_PORT: "70000" }), ConfigError);
  assert.throws(() => loadConfig({ DATABASE_URL: "mysql://x" }), ConfigError);
  assert.throws(() => loadConfig({ MAILROOM_PUBLIC_URL: "lists.example.com" }), ConfigError);
});

test("secrets are redacted when the config is printed", () => {
  const c = loadConfig({ DATABASE_URL: "postgres://app:s3cret@db/mail", MAILROOM_ADMIN_PASSWORD: "hunter2" });
  const text = JSON.stringify(redacted(c));
  assert.ok(!text.includes("s3cret") && !text.includes("hunter2"), text);
  assert.match(text, /app:\*\*\*@db/);
});

test("a database password is redacted in every form a URL can carry it", () => {
  for (const [url, secret] of [
    ["postgres://:pw-only@db/mail", "pw-only"],
    ["postgres://app@db/mail?password=in-query&sslmode=require", "in-query"],
    ["postgresql://app:p%40ss@db:5432/mail?sslpassword=keypass", "keypass"],
    ["postgres://app:sock3t@/mail?host=/var/run/postgresql&password=q2", "sock3t"],
    ["postgres://app:sock3t@/mail?host=/var/run/postgresql&password=q2", "q2"],
  ] as const) {
    const text = JSON.stringify(redacted(loadConfig({ DATABASE_URL: url })));
    assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(text, /\*\*\*/);
  }
  const plain = redacted(loadConfig({ DATABASE_URL: "postgres://app:s3cret@db/mail?sslmode=require" })) as { databaseUrl: string };
  assert.equal(plain.databaseUrl, "postgres://app:***@db/mail?sslmode=require");
});

test("MAILROOM_MTA_INCOMING: postfix by default; exim and sendmail, in mailroom's or Mailman's spelling; anything else is refused", () => {
  assert.equal(loadConfig({}).mtaIncoming, "postfix");
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "exim" }).mtaIncoming, "exim");
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "exim4" }).mtaIncoming, "exim");
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "mailman.mta.exim4.LMTP" }).mtaIncoming, "exim");
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "Sendmail" }).mtaIncoming, "sendmail");
  assert.throws(() => loadConfig({ MAILROOM_MTA_INCOMING: "qmail" }), (e) => e instanceof ConfigError && /MAILROOM_MTA_INCOMING/.test(e.message));
});

test("MAILROOM_MAKEMAP defaults to makemap only for Sendmail when it is on PATH; MAILROOM_SENDMAIL_RELOAD is off unless set", () => {
  const found = { postmapFound: false, postfixFound: false, makemapFound: true };
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "sendmail" }, found).makemap, "makemap");
  assert.equal(loadConfig({}, found).makemap, null);
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "sendmail" }, { ...found, makemapFound: false }).makemap, null);
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "sendmail", MAILROOM_MAKEMAP: "off" }, found).makemap, null);
  assert.equal(loadConfig({ MAILROOM_MTA_INCOMING: "sendmail" }).sendmailReload, null);
  assert.equal(loadConfig({ MAILROOM_SENDMAIL_RELOAD: "kill -HUP 1" }).sendmailReload, "kill -HUP 1");
});

test("archivers: offered only with their settings; HyperKitty's URL and key together; the key redacted", () => {
  assert.deepEqual(loadConfig({}).archivers, { hyperkitty: null, mailArchive: null, retryMaxSeconds: 900 });
  const c = loadConfig({
    MAILROOM_HYPERKITTY_URL: "http://127.0.0.1:8000/hyperkitty", MAILROOM_HYPERKITTY_API_KEY: "sekrit-key",
    MAILROOM_MAIL_ARCHIVE_ADDRESS: "archive@mail-archive.com", MAILROOM_ARCHIVE_RETRY_MAX: "60",
  });
  assert.deepEqual(c.archivers, {
    hyperkitty: { url: "http://127.0.0.1:8000/hyperkitty/", apiKey: "sekrit-key" },
    mailArchive: { address: "archive@mail-archive.com", url: "https://www.mail-archive.com/" },
    retryMaxSeconds: 60,
  });
  assert.ok(!JSON.stringify(redacted(c)).includes("sekrit-key"));
  assert.throws(() => loadConfig({ MAILROOM_HYPERKITTY_URL: "http://h/" }), (e) => e instanceof ConfigError && /MAILROOM_HYPERKITTY_API_KEY/.test(e.message));
  assert.throws(() => loadConfig({ MAILROOM_HYPERKITTY_URL: "h/", MAILROOM_HYPERKITTY_API_KEY: "k" }), ConfigError);
  assert.throws(() => loadConfig({ MAILROOM_HYPERKITTY_URL: "http://u:pw@h/", MAILROOM_HYPERKITTY_API_KEY: "k" }),
    (e) => e instanceof ConfigError && /credentials/.test(e.message) && !e.message.includes("pw"));
  assert.throws(() => loadConfig({ MAILROOM_MAIL_ARCHIVE_ADDRESS: "nobody" }), ConfigError);
});
