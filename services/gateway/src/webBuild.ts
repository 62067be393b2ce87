// Where the front door finds the web page, and building it at start when its sources changed.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { defaultWebDist } from "./webPage.ts";

const buildScript = resolve(import.meta.dir, "..", "..", "..", "web", "build.ts");

/**
 * `WEB_DIST` (a directory holding index.html and assets/); else, in a checkout, the repository's web/dist;
 * else, for a compiled front door (`bun run build`), `web/` beside the executable's `bin/` directory.
 */
export const webDistFromEnv = (env: Record<string, string | undefined>): string => {
  if (env.WEB_DIST) return resolve(env.WEB_DIST);
  if (existsSync(buildScript)) return defaultWebDist();
  return resolve(dirname(process.execPath), "..", "web");
};

/**
 * In a checkout (web/build.ts beside us), builds the page into `dist` unless it is newer than web/src, so
 * `bun run start` serves the current page without a separate step. A deployment points WEB_DIST at a
 * built page and has no sources: nothing is built then. A failed build leaves the APIs served.
 */
export const buildWebPageIfStale = (dist: string): void => {
  if (!existsSync(buildScript)) return;
  const built = Bun.spawnSync([process.execPath, buildScript, "--if-stale"], {
    env: { ...process.env, WEB_DIST: dist },
    stdout: "inherit",
    stderr: "inherit",
    stdin: "ignore",
  });
  if (built.exitCode !== 0) console.error("gateway: the web page could not be built; serving the APIs only");
};
