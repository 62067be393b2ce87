// Builds the customer web page into web/dist: hashed JS and CSS under assets/, and an index.html that names them.
// `bun web/build.ts` (or `bun run web:build`); the front door serves web/dist (WEB_DIST overrides where).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { basename, join } from "node:path"

const webDir = import.meta.dir
export const srcDir = join(webDir, "src")
export const defaultDist = join(webDir, "dist")

const html = (script: string, styles: readonly string[]): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Book a Ticket</title>
<link rel="icon" href="data:,">
${styles.map((href) => `<link rel="stylesheet" href="${href}">`).join("\n")}
<script type="module" src="${script}"></script>
</head>
<body>
<div id="app"><noscript>Book a Ticket needs JavaScript to show screenings and book seats.</noscript></div>
</body>
</html>
`

/** The newest modification time of any file under `dir`. */
const newestMtime = (dir: string): number => {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** Whether `dist` holds a page built after the last change to web/src (or to this script). */
export const isFresh = (dist: string = defaultDist): boolean => {
  const index = join(dist, "index.html")
  if (!existsSync(index)) return false
  const built = statSync(index).mtimeMs
  return built >= newestMtime(srcDir) && built >= statSync(join(webDir, "build.ts")).mtimeMs
}

export interface BuiltPage {
  readonly dist: string
  readonly script: string
  readonly scriptBytes: number
  readonly styles: readonly string[]
}

/**
 * Bundles web/src/main.tsx (minified, hashed names) into a fresh directory next to `dist`, then swaps it
 * into place, so a gateway serving `dist` never sees half a build and two builds at once do not mix.
 */
export const buildPage = async (dist: string = defaultDist): Promise<BuiltPage> => {
  const staging = `${dist}.${process.pid}.${Date.now()}`
  const result = await Bun.build({
    entrypoints: [join(srcDir, "main.tsx")],
    outdir: join(staging, "assets"),
    target: "browser",
    format: "esm",
    minify: true,
    sourcemap: "none",
    naming: { entry: "[name]-[hash].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
  })
  if (!result.success) {
    rmSync(staging, { recursive: true, force: true })
    throw new AggregateError(result.logs, `web page build failed:\n${result.logs.map(String).join("\n")}`)
  }
  const script = result.outputs.find((o) => o.kind === "entry-point" && o.path.endsWith(".js"))
  if (script === undefined) throw new Error("web page build produced no script")
  const scriptBytes = Bun.file(script.path).size
  const styles = result.outputs.filter((o) => o.path.endsWith(".css")).map((o) => `/assets/${basename(o.path)}`)
  writeFileSync(join(staging, "index.html"), html(`/assets/${basename(script.path)}`, styles))

  mkdirSync(join(dist, ".."), { recursive: true })
  const old = `${dist}.old.${process.pid}.${Date.now()}`
  try {
    if (existsSync(dist)) renameSync(dist, old)
    renameSync(staging, dist)
  } catch {
    // Another build of the same sources swapped its output in at the same moment: keep that one.
    rmSync(staging, { recursive: true, force: true })
  }
  rmSync(old, { recursive: true, force: true })
  return { dist, script: `/assets/${basename(script.path)}`, scriptBytes, styles }
}

if (import.meta.main) {
  const dist = process.env.WEB_DIST ?? defaultDist
  // `--if-stale`: the front door's start-up builds only when web/src changed since the last build.
  if (process.argv.includes("--if-stale") && isFresh(dist)) process.exit(0)
  const built = await buildPage(dist)
  console.log(`web page built into ${built.dist}: ${built.script} (${(built.scriptBytes / 1024).toFixed(1)} KB) ${built.styles.join(" ")}`)
}
