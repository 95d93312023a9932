// `npm run openapi:write`: builds the app without listening, a database or services
// (the routes and their schemas only) and writes the OpenAPI document it serves at /openapi.json to openapi/openapi.json.
// test/api/openapi.test.ts fails when the committed file and the served one differ.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildApp } from "../src/api/app.js";
import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/log.js";

export const OPENAPI_FILE = fileURLToPath(new URL("../openapi/openapi.json", import.meta.url));

/** The document as text, exactly as committed. */
export async function renderOpenApi(app: { swagger(): unknown }): Promise<string> {
  return JSON.stringify(app.swagger(), null, 2) + "\n";
}

async function main(): Promise<void> {
  const app = await buildApp({ services: null, config: loadConfig({}), adminPassword: "unused", log: createLogger("silent") });
  await app.ready();
  await writeFile(OPENAPI_FILE, await renderOpenApi(app));
  await app.close();
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
