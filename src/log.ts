// pino factory: JSON lines on standard output, one child logger per component.
// A few secret paths (password, *.password, authorization headers, databaseUrl, apiKey) are
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
        paths: ["password", "*.password", "req.headers.authorization", "headers.authorization", "databaseUrl", "apiKey", "*.apiKey"],
        censor: "***",
      },
    },
    destination,
  );
}

export function component(log: Logger, name: string): Logger {
  return log.child({ component: name });
}
