// Reads mailroom's configuration from the environment once, validates it and
// returns a frozen, typed Config. main.ts hands it process.env (and whether Postfix
// is installed, which it looks up itself so this stays pure); the rest of the code
// is handed the Config and reads no configuration from process.env (mta/run-command.ts
// passes the environment on to postmap and the reload command, and the PostgreSQL
// driver honours libpq's PG* variables, as any PostgreSQL client does). Imports
// nothing from src.
import { resolve } from "node:path";

export interface Config {
  /** postgres://… selects a PostgreSQL server; null means the embedded PostgreSQL under varDir/db (db/embedded.ts). */
  databaseUrl: string | null;
  /** PGOPTIONS: PostgreSQL startup options; the hot-path connections add theirs to these. */
  pgOptions: string | null;
  /** All state that is not in the database. */
  varDir: string;
  http: { host: string; port: number };
  lmtp: {
    host: string;
    port: number;
    /** Bytes; larger messages get 552 (advertised in LHLO SIZE). */
    maxMessageSize: number;
    /** RCPTs accepted per transaction before 452 (RFC 5321 asks servers to take at least 100). */
    maxRecipients: number;
    /** Idle seconds before a session is closed. */
    idleTimeoutMs: number;
    /** On shutdown, how long a transaction in flight may take to finish before its session is cut. */
    shutdownTimeoutMs: number;
    /** Look up the client's name (PTR) before the greeting and log it; off: the client is the local MTA. */
    reverseDns: boolean;
  };
  smtp: {
    host: string;
    port: number;
    /** Recipients per SMTP transaction in bulk mode (Mailman max_recipients). */
    maxRecipientsPerTransaction: number;
    /** Simultaneous SMTP connections per worker process. */
    maxConnections: number;
    /** Give up retrying a 4xx after this many seconds (Mailman delivery_retry_period: 5 days). */
    retryDeadlineSeconds: number;
    /** First wait before retrying a 4xx or an unreachable MTA; doubles each time (Mailman delivery_retry_wait). */
    retryWaitSeconds: number;
    /** Delivery chunks sent at once per process (each holds one pooled connection while sending). */
    concurrency: number;
    /** Members per chunk job in personalised mode (one SMTP transaction each); a kill -9 re-sends at most this many per chunk in flight. */
    personalizedChunkSize: number;
  };
  admin: { user: string; password: string | null };
  /** Which MTA's files mailroom generates (Mailman's `[mta] incoming`): postfix, exim or sendmail. */
  mtaIncoming: MtaName;
  /** What the generated transport maps point at (Postfix's and Exim's files; Sendmail's mailertable names the host only). */
  transport: { host: string; port: number };
  /** postmap command run on each regenerated map; null disables. */
  postmap: string | null;
  /** Command run after the maps change so Postfix sees them at once; null disables. */
  postfixReload: string | null;
  /** Postfix config directory handed to postmap and the reload command as MAIL_CONFIG; null: Postfix's default. */
  postfixConfigDir: string | null;
  /** makemap command building Sendmail's hash maps (the map type and name are appended, the text is its input); null disables. */
  makemap: string | null;
  /** Command run after Sendmail's relay-domains file changed (a SIGHUP: Sendmail reads the class only at start); null disables. */
  sendmailReload: string | null;
  /** Postfix socketmap listener ("inet:127.0.0.1:PORT" or "unix:/path"); null disables. */
  socketmap: string | null;
  /** Base URL for links in mail (one-click unsubscribe, confirmations). */
  publicUrl: string | null;
  /** Mailman's [mta] verp_probes, for lists that leave verpProbes unset: confirm a bounce-disable with a probe. */
  verpProbes: boolean;
  /** Mailman's site_owner: unrecognised bounces of lists set to forward them to site_owner; null: the list's administrators. */
  siteOwner: string | null;
  /** Notice templates (docs/templates.md): where file: URIs may point, how long an http(s) fetch may take and is cached. */
  templates: { dir: string; fetchTimeoutMs: number; cacheSeconds: number };
  /** File of `Header: regexp` lines every list's suspicious-header rule also checks (Mailman's bounce_matching_headers format); null: none. */
  suspiciousHeadersFile: string | null;
  /** Signs tokens in mail (MAILROOM_SECRET); null: generated once into $MAILROOM_VAR_DIR/secret (src/secret.ts). */
  secret: string | null;
  /** 0: this process runs no queue workers (REST and LMTP only); any other value: it runs them. */
  workers: number;
  /** Seconds a claimed job stays locked without a heartbeat before another worker may take it over. */
  jobLeaseSeconds: number;
  /** Done jobs, and messages nothing refers to, are deleted this long after. */
  jobRetentionSeconds: number;
  /** pino level. */
  logLevel: string;
  /** The archivers this site offers (src/archivers/); a missing one is not offered to lists. */
  archivers: ArchiverConfig;
}

export interface ArchiverConfig {
  /** HyperKitty's Mailman archiver API: its base URL (ends in "/") and MAILMAN_ARCHIVER_KEY; null: not offered. */
  hyperkitty: { url: string; apiKey: string } | null;
  /** Mailman's mail-archive archiver: the address copies of public lists' posts go to, and the archive's web base (ends in "/"). */
  mailArchive: { address: string; url: string } | null;
  /** Longest wait between two tries of an archive job (HyperKitty down): backoff grows to this and stays. */
  retryMaxSeconds: number;
}

export class ConfigError extends Error {}

export const MTA_NAMES = ["postfix", "exim", "sendmail"] as const;
export type MtaName = (typeof MTA_NAMES)[number];

/**
 * MAILROOM_MTA_INCOMING: "postfix", "exim" (or "exim4") or "sendmail"; Mailman's own
 * values (mailman.mta.postfix.LMTP, mailman.mta.exim4.LMTP) are taken too.
 */
function mtaName(env: Env): MtaName {
  const raw = (env.MAILROOM_MTA_INCOMING ?? "").trim();
  if (!raw) return "postfix";
  const m = /^(?:mailman\.mta\.)?(postfix|exim4?|sendmail)(?:\.LMTP)?$/i.exec(raw);
  if (!m) throw new ConfigError(`MAILROOM_MTA_INCOMING must be postfix, exim or sendmail, got "${raw}"`);
  const name = m[1]!.toLowerCase();
  return name.startsWith("exim") ? "exim" : (name as MtaName);
}

type Env = Record<string, string | undefined>;

function str(env: Env, key: string, fallback: string): string {
  const v = env[key];
  return v === undefined || v === "" ? fallback : v;
}

function int(env: Env, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** on/off (also true/false, yes/no, 1/0); unset or empty takes the default. */
function flag(env: Env, key: string, fallback: boolean): boolean {
  const v = env[key]?.trim().toLowerCase();
  if (v === undefined || v === "") return fallback;
  if (["on", "true", "yes", "1"].includes(v)) return true;
  if (["off", "false", "no", "0"].includes(v)) return false;
  throw new ConfigError(`${key} must be on or off, got "${env[key]}"`);
}

/** "off" (or empty) disables a command; unset takes the default. */
function command(env: Env, key: string, fallback: string | null): string | null {
  const v = env[key];
  if (v === undefined) return fallback;
  return v.trim() === "" || v.trim() === "off" ? null : v.trim();
}

/** An http(s) base URL, with the trailing slash urljoin needs (Mailman's plugin adds it too). */
function baseUrl(env: Env, key: string): string | null {
  const v = env[key]?.trim();
  if (!v) return null;
  if (!/^https?:\/\/[^/]+/.test(v)) throw new ConfigError(`${key} must be an http(s) URL`);
  // fetch refuses URLs with credentials, and its error would carry the password into logs.
  if (/^https?:\/\/[^/]*@/.test(v)) throw new ConfigError(`${key} must not contain credentials (user:password@)`);
  return v.endsWith("/") ? v : v + "/";
}

function archiverConfig(env: Env): ArchiverConfig {
  const hkUrl = baseUrl(env, "MAILROOM_HYPERKITTY_URL");
  const hkKey = env.MAILROOM_HYPERKITTY_API_KEY?.trim() || null;
  if ((hkUrl === null) !== (hkKey === null)) {
    throw new ConfigError("MAILROOM_HYPERKITTY_URL and MAILROOM_HYPERKITTY_API_KEY must be set together");
  }
  const maAddress = env.MAILROOM_MAIL_ARCHIVE_ADDRESS?.trim() || null;
  if (maAddress !== null && !/^[^@\s]+@[^@\s]+$/.test(maAddress)) {
    throw new ConfigError(`MAILROOM_MAIL_ARCHIVE_ADDRESS must be an email address, got "${maAddress}"`);
  }
  return {
    hyperkitty: hkUrl && hkKey ? { url: hkUrl, apiKey: hkKey } : null,
    mailArchive: maAddress
      ? { address: maAddress, url: baseUrl(env, "MAILROOM_MAIL_ARCHIVE_URL") ?? "https://www.mail-archive.com/" }
      : null,
    retryMaxSeconds: int(env, "MAILROOM_ARCHIVE_RETRY_MAX", 900, 1),
  };
}

export interface Defaults {
  /** Whether Postfix's `postmap` / `postfix` are on PATH with a main.cf to use (main.ts looks; config stays pure). */
  postmapFound: boolean;
  postfixFound: boolean;
  /** Whether Sendmail's `makemap` is on PATH. */
  makemapFound?: boolean;
}

export function loadConfig(env: Env, defaults: Defaults = { postmapFound: false, postfixFound: false }): Config {
  const mtaIncoming = mtaName(env);
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  }
  const lmtpHost = str(env, "MAILROOM_LMTP_HOST", "127.0.0.1");
  const lmtpPort = int(env, "MAILROOM_LMTP_PORT", 8024, 0, 65535);
  const publicUrl = env.MAILROOM_PUBLIC_URL?.trim() || null;
  if (publicUrl && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new ConfigError("MAILROOM_PUBLIC_URL must be an http(s) URL");
  }
  const siteOwner = env.MAILROOM_SITE_OWNER?.trim() || null;
  if (siteOwner && !/^[^@\s<>]+@[^@\s<>]+$/.test(siteOwner)) throw new ConfigError("MAILROOM_SITE_OWNER must be an email address");
  const varDir = resolve(str(env, "MAILROOM_VAR_DIR", "./var"));
  const config: Config = {
    archivers: archiverConfig(env),
    databaseUrl,
    pgOptions: env.PGOPTIONS?.trim() || null,
    varDir,
    http: {
      host: str(env, "MAILROOM_HTTP_HOST", "127.0.0.1"),
      port: int(env, "MAILROOM_HTTP_PORT", 8001, 0, 65535),
    },
    lmtp: {
      host: lmtpHost,
      port: lmtpPort,
      maxMessageSize: int(env, "MAILROOM_MAX_MESSAGE_SIZE", 40 * 1024 * 1024, 1024),
      maxRecipients: int(env, "MAILROOM_LMTP_MAX_RECIPIENTS", 1000, 1),
      idleTimeoutMs: int(env, "MAILROOM_LMTP_IDLE_TIMEOUT", 300, 1) * 1000,
      shutdownTimeoutMs: int(env, "MAILROOM_LMTP_SHUTDOWN_TIMEOUT", 30, 1) * 1000,
      reverseDns: flag(env, "MAILROOM_LMTP_REVERSE_DNS", false),
    },
    smtp: {
      host: str(env, "MAILROOM_SMTP_HOST", "127.0.0.1"),
      port: int(env, "MAILROOM_SMTP_PORT", 25, 1, 65535),
      maxRecipientsPerTransaction: int(env, "MAILROOM_MAX_RECIPIENTS_PER_TRANSACTION", 500, 1),
      maxConnections: int(env, "MAILROOM_SMTP_MAX_CONNECTIONS", 5, 1, 1000),
      retryDeadlineSeconds: int(env, "MAILROOM_DELIVERY_RETRY_PERIOD", 5 * 24 * 3600, 1),
      retryWaitSeconds: int(env, "MAILROOM_DELIVERY_RETRY_WAIT", 15 * 60, 1),
      concurrency: int(env, "MAILROOM_DELIVERY_CONCURRENCY", 4, 1, 256),
      personalizedChunkSize: int(env, "MAILROOM_PERSONALIZED_CHUNK", 100, 1),
    },
    admin: {
      user: str(env, "MAILROOM_ADMIN_USER", "admin"),
      password: env.MAILROOM_ADMIN_PASSWORD || null,
    },
    mtaIncoming,
    transport: {
      host: str(env, "MAILROOM_TRANSPORT_HOST", lmtpHost),
      port: int(env, "MAILROOM_TRANSPORT_PORT", lmtpPort, 1, 65535),
    },
    postmap: command(env, "MAILROOM_POSTMAP", defaults.postmapFound ? "postmap" : null),
    postfixReload: command(env, "MAILROOM_POSTFIX_RELOAD", defaults.postfixFound ? "postfix reload" : null),
    postfixConfigDir: env.MAILROOM_POSTFIX_CONFIG_DIR?.trim() ? resolve(env.MAILROOM_POSTFIX_CONFIG_DIR.trim()) : null,
    makemap: command(env, "MAILROOM_MAKEMAP", mtaIncoming === "sendmail" && defaults.makemapFound ? "makemap" : null),
    sendmailReload: command(env, "MAILROOM_SENDMAIL_RELOAD", null),
    socketmap: command(env, "MAILROOM_SOCKETMAP", null),
    publicUrl: publicUrl ? publicUrl.replace(/\/+$/, "") : null,
    verpProbes: flag(env, "MAILROOM_VERP_PROBES", false),
    siteOwner,
    templates: {
      dir: resolve(str(env, "MAILROOM_TEMPLATE_DIR", resolve(varDir, "templates"))),
      fetchTimeoutMs: int(env, "MAILROOM_TEMPLATE_FETCH_TIMEOUT", 5, 1, 300) * 1000,
      cacheSeconds: int(env, "MAILROOM_TEMPLATE_CACHE", 300, 0),
    },
    suspiciousHeadersFile: env.MAILROOM_SUSPICIOUS_HEADERS_FILE?.trim() ? resolve(env.MAILROOM_SUSPICIOUS_HEADERS_FILE.trim()) : null,
    secret: env.MAILROOM_SECRET?.trim() || null,
    workers: int(env, "MAILROOM_WORKERS", 2, 0, 64),
    jobLeaseSeconds: int(env, "MAILROOM_JOB_LEASE", 60, 1),
    jobRetentionSeconds: int(env, "MAILROOM_JOB_RETENTION", 7 * 86_400, 60),
    logLevel: str(env, "MAILROOM_LOG_LEVEL", "info"),
  };
  return deepFreeze(config);
}

/** The config as it may be printed: secrets redacted. */
export function redacted(config: Config): unknown {
  return {
    ...config,
    databaseUrl: config.databaseUrl ? redactedUrl(config.databaseUrl) : null,
    admin: { user: config.admin.user, password: config.admin.password ? "***" : null },
    secret: config.secret ? "***" : null,
    archivers: {
      ...config.archivers,
      hyperkitty: config.archivers.hyperkitty ? { url: redactedUrl(config.archivers.hyperkitty.url), apiKey: "***" } : null,
    },
  };
}

function deepFreeze<T>(o: T): T {
  for (const v of Object.values(o as object)) if (v && typeof v === "object") deepFreeze(v);
  return Object.freeze(o);
}

/** Query parameters libpq and node-postgres take a secret from. */
const SECRET_PARAMS = /^(password|sslpassword|sslkey_password)$/i;

/** A connection URL with its password blanked, given as user:pw@, :pw@ or ?password=. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, "***");
    return u.toString();
  } catch {
    // Not a URL the WHATWG parser takes (a unix socket: postgres://user:pw@/db?host=…).
    return url
      .replace(/\/\/([^@/]*?):[^@/]*@/, "//$1:***@")
      .replace(/([?&](?:password|sslpassword|sslkey_password)=)[^&]*/gi, "$1***");
  }
}
