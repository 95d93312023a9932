// pino factory: JSON lines on standard output, one child logger per component.
// A few secret paths (password, *.password, authorization headers, databaseUrl) are
// redacted as a backstop; the config is logged only through config's redacted().
// Created by main.ts; every part gets a child.
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
