// pino factory: JSON lines, one child logger per component. Secrets are redacted
// by path so a stray log of a config or request never prints them.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["password", "*.password", "req.headers.authorization", "headers.authorization", "databaseUrl"],
        censor: "***",
      },
    },
    destination,
  );
}

export function component(log: Logger, name: string): Logger {
  return log.child({ component: name });
}
