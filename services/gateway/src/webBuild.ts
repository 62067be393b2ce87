// Where the front door finds the web page, and building it at start when its sources changed.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defaultWebDist } from "./webPage.ts";

const buildScript = resolve(import.meta.dir, "..", "..", "..", "web", "build.ts");

/** `WEB_DIST` (a directory holding index.html and assets/), else the repository's web/dist. */
export const webDistFromEnv = (env: Record<string, string | undefined>): string =>
  env.WEB_DIST ? resolve(env.WEB_DIST) : defaultWebDist();

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
