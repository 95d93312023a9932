// mailroom's command line: `serve`, `migrate`, `aliases`. Loads the config once,
// opens the database, builds the services (services/index.ts), wires them to the
// REST API, the LMTP server and the workers (workers.ts wires the queue stages; the
// two are the only modules that import api, lmtp, pipeline, delivery, commands and
// bounces), starts them, and stops them gracefully.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadConfig, redacted, ConfigError, type Config } from "./config/index.js";
import { createLogger, component, type Logger } from "./log.js";
import { openDatabase, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { ensureAdminPassword } from "./admin-password.js";
import { createServices } from "./services/index.js";
import { buildApp } from "./api/app.js";
import { createLmtpServer } from "./lmtp/server.js";
import { createMaps } from "./mta/maps.js";
import { startSocketmap } from "./mta/socketmap.js";
import { startWorkers } from "./workers.js";
import { catchStopSignals, StopRequested, type StopSignals } from "./stop-signals.js";
import { join } from "node:path";

const HELP: Record<string, string> = {
  main: `usage: mailroom <command> [--help]

commands:
  serve     run the REST API, the LMTP server and the delivery workers
  migrate   apply database migrations and exit
  aliases   regenerate the MTA's files under $MAILROOM_VAR_DIR/data/ and exit

Configuration is read from the environment; see the README.`,
  serve: `usage: mailroom serve

Runs the REST API (MAILROOM_HTTP_HOST:MAILROOM_HTTP_PORT, default 127.0.0.1:8001),
the LMTP server (MAILROOM_LMTP_HOST:MAILROOM_LMTP_PORT, default 127.0.0.1:8024) and
the queue workers (none with MAILROOM_WORKERS=0) in one process. Applies migrations
first. Stops on SIGTERM/SIGINT after finishing what is in flight.`,
  migrate: `usage: mailroom migrate

Applies the migrations under prisma/migrations/ to the database (DATABASE_URL, or
the embedded database under $MAILROOM_VAR_DIR/db) and exits. Safe to run while
other processes start: migrations are serialised by an advisory lock.`,
  aliases: `usage: mailroom aliases

Regenerates the files for the MTA named by MAILROOM_MTA_INCOMING under
$MAILROOM_VAR_DIR/data/ from the database, and exits:
  postfix (default)  postfix_lmtp, postfix_domains, postfix_vmap (MAILROOM_POSTMAP)
  exim               exim_lmtp, exim_domains, exim_vmap (lsearch text)
  sendmail           sendmail_access, sendmail_mailertable (MAILROOM_MAKEMAP),
                     sendmail_relay_domains
Runs the MTA's reload command when a file it reads only at start changed.`,
};

/**
 * Postfix is "found" when its commands are on PATH and it has a configuration
 * (MAILROOM_POSTFIX_CONFIG_DIR, MAIL_CONFIG or /etc/postfix): an installed but
 * unconfigured Postfix cannot run postmap, and must not stop `npm start`.
 */
function postfixFound(env: NodeJS.ProcessEnv, cmd: string): boolean {
  const dir = env.MAILROOM_POSTFIX_CONFIG_DIR?.trim() || env.MAIL_CONFIG?.trim() || "/etc/postfix";
  return onPath(cmd) && existsSync(join(dir, "main.cf"));
}

function onPath(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

async function openMigrated(config: Config, log: Logger, signals: StopSignals, onServerExit?: (why: string) => void): Promise<Database> {
  const db = await openDatabase({
    url: config.databaseUrl, pgOptions: config.pgOptions, dataDir: join(config.varDir, "db"), log: component(log, "db"), onServerExit,
  });
  try {
    signals.check();
    const result = await migrate(db);
    if (result.applied.length) log.info({ applied: result.applied }, "migrations applied");
    if (result.modified.length) log.warn({ modified: result.modified }, "applied migrations were edited since");
    signals.check();
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/**
 * Runs until SIGTERM/SIGINT (returns -1). A startup step that fails, or a signal
 * during startup, closes what was started, the database last (the embedded
 * cluster stops with it), and ends the command: a failure as an error, a signal
 * as a clean stop (0).
 */
async function serve(config: Config, log: Logger, signals: StopSignals): Promise<number> {
  let db: Database | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let lmtp: ReturnType<typeof createLmtpServer> | undefined;
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  let socketmap: Awaited<ReturnType<typeof startSocketmap>> | null | undefined;
  const closeAll = async () => {
    // Stop taking new work, let in-flight requests, LMTP transactions and jobs finish.
    await Promise.allSettled([app?.close(), lmtp?.close(), socketmap?.close()]);
    await workers?.stop();
    // Last: the embedded database's server stops after mailroom's own shutdown.
    await db?.close();
  };
  // The embedded server gone under a running mailroom (killed, out of memory): no
  // work can go on, and the next start recovers it; a supervisor restarts us.
  let stop: (signal: string, code?: number) => Promise<void> = async () => { process.exit(1); };
  try {
    db = await openMigrated(config, log, signals, () => void stop("database exited", 1));
    const adminPassword = await ensureAdminPassword(config, log);
    const maps = createMaps({ db, config, log: component(log, "mta") });
    await maps.writeNow();
    signals.check();
    const services = createServices({ db, config, log, maps });
    app = await buildApp({ services, config, adminPassword, log: component(log, "http") });
    lmtp = createLmtpServer({ services, config, log: component(log, "lmtp") });
    workers = await startWorkers({ db, services, config, log: component(log, "worker") });
    socketmap = config.socketmap ? await startSocketmap({ db, config, log: component(log, "socketmap") }) : null;
    signals.check();

    // The "listening" lines are the contract's way to learn a port 0 choice: logged
    // whatever MAILROOM_LOG_LEVEL is.
    const announce = log.child({}, { level: "info" });
    // LMTP first: /health answers 200 only once every listener is up.
    const lmtpPort = await lmtp.listen(config.lmtp.host, config.lmtp.port);
    announce.info({ service: "lmtp", host: config.lmtp.host, port: lmtpPort }, "listening");
    const httpPort = await listenHttp(app, config);
    announce.info({ service: "http", host: config.http.host, port: httpPort }, "listening");
    if (socketmap) announce.info({ service: "socketmap", address: socketmap.address }, "listening");
  } catch (err) {
    if (!(err instanceof StopRequested)) log.error({ err: (err as Error).message }, "startup failed");
    else log.info({ signal: err.signal }, "stopping");
    await closeAll().catch((closeErr: unknown) => log.error({ err: (closeErr as Error).message }, "closing after a failed startup"));
    if (!(err instanceof StopRequested)) throw err;
    log.info("stopped");
    return 0;
  }

  let stopping = false;
  stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    await closeAll();
    log.info("stopped");
    process.exit(code);
  };
  // A signal that came while the last listener was starting is acted on now.
  signals.onStop((signal) => void stop(signal));
  return -1;
}

async function listenHttp(app: Awaited<ReturnType<typeof buildApp>>, config: Config): Promise<number> {
  await app.listen({ host: config.http.host, port: config.http.port });
  const addr = app.server.address();
  return typeof addr === "object" && addr ? addr.port : config.http.port;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    process.stdout.write(HELP.main + "\n");
    return cmd ? 0 : 2;
  }
  if (!(cmd in HELP) || cmd === "main") {
    process.stderr.write(`mailroom: unknown command "${cmd}" (try --help)\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(HELP[cmd] + "\n");
    return 0;
  }
  if (rest.length) {
    process.stderr.write(`mailroom ${cmd}: unexpected argument "${rest[0]}" (try --help)\n`);
    return 2;
  }
  // Before anything is started: a signal from here on closes what was (stop-signals.ts).
  const signals = catchStopSignals();
  const config = loadConfig(process.env, {
    postmapFound: postfixFound(process.env, "postmap"),
    postfixFound: postfixFound(process.env, "postfix"),
    makemapFound: onPath("makemap"),
  });
  const log = createLogger(config.logLevel);
  log.debug({ config: redacted(config) }, "configuration");
  switch (cmd) {
    case "serve":
      return serve(config, log, signals); // -1: keeps running
    case "migrate": {
      const db = await openMigrated(config, log, signals);
      await db.close();
      return 0;
    }
    case "aliases": {
      const db = await openMigrated(config, log, signals);
      try {
        signals.check();
        const maps = createMaps({ db, config, log: component(log, "mta") });
        await maps.writeNow();
        process.stdout.write(`${config.mtaIncoming} files written to ${join(config.varDir, "data")}\n`);
      } finally {
        await db.close();
      }
      return 0;
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exit(code); },
  (err) => {
    const reason = err instanceof ConfigError ? `configuration: ${err.message}` : (err as Error).message;
    process.stderr.write(`mailroom: ${reason.split("\n")[0]}\n`);
    process.exit(1);
  },
);
