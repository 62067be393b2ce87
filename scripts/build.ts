// `bun run build`: compiles every service, the front door and the CLI into single executables in
// dist/bin/ (DESIGN §12): `bookaticket-<service>` for each service, `bookaticket-gateway` for the
// front door and `bookaticket` for the CLI.
//
// Usage: bun scripts/build.ts [--outdir DIR] [--only name,name] [--target bun-linux-x64]
//
// Same as `bun build --compile --minify --sourcemap --target=bun`, through Bun.build so that:
// - better-sqlite3 resolves to its platform entry (`better-sqlite3/linux-x64`, …), which requires its
//   prebuilt `.node` addon by a fixed path: the addon is then embedded in the executable and loaded
//   from there (the default entry looks for the addon on disk at run time and would not find it);
// - the executable does not read a bunfig.toml or .env from the directory it is started in: its
//   settings come from the environment only (systemd's EnvironmentFile).
// The OpenAPI UI assets are file imports (packages/http/src/openapiUi.ts) and are embedded too.
import type { BunPlugin } from "bun"
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const root = resolve(import.meta.dir, "..")

export interface Unit {
  /** The executable's name in the output directory. */
  readonly name: string
  readonly entry: string
}

/** Every unit: the services under services/ (the front door among them) and the CLI. */
export const units = (): ReadonlyArray<Unit> => {
  const services = readdirSync(join(root, "services"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, "services", d.name, "src", "main.ts")))
    .map((d) => d.name)
    .sort()
  return [
    ...services.map((s) => ({ name: `bookaticket-${s}`, entry: join(root, "services", s, "src", "main.ts") })),
    { name: "bookaticket", entry: join(root, "cli", "src", "main.ts") }
  ]
}

const platformOf = (target: string | undefined): string => {
  if (target === undefined || target === "bun") return `${process.platform}-${process.arch}`
  // bun-linux-x64, bun-linux-x64-musl, bun-darwin-arm64, …
  const [, os, arch, libc] = /^bun-([a-z0-9]+)-([a-z0-9]+)(?:-[a-z]+)*?(?:-(musl))?$/.exec(target) ?? []
  if (!os || !arch) throw new Error(`cannot tell the platform of build target ${target}`)
  return `${os}${libc === "musl" ? "musl" : ""}-${arch}`
}

/** Sends `better-sqlite3` to its entry for one platform, whose addon is required by a literal path. */
const sqliteAddonPlugin = (platform: string): BunPlugin => ({
  name: "better-sqlite3-embedded-addon",
  setup(build) {
    const entry = join(root, "node_modules", "better-sqlite3", "lib", `${platform}.js`)
    if (!existsSync(entry)) throw new Error(`better-sqlite3 has no prebuilt addon for ${platform}`)
    build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: entry }))
  }
})

export interface BuildResult {
  readonly name: string
  readonly path: string
  readonly bytes: number
  readonly ms: number
}

/** Builds `only` (all units when empty) into `outdir`; throws with the bundler's messages on failure. */
export const build = async (
  opts: { outdir?: string; only?: ReadonlyArray<string>; target?: string; log?: (line: string) => void } = {}
): Promise<ReadonlyArray<BuildResult>> => {
  const outdir = resolve(opts.outdir ?? join(root, "dist", "bin"))
  mkdirSync(outdir, { recursive: true })
  const selected = units().filter((u) => !opts.only || opts.only.length === 0 || opts.only.includes(u.name))
  if (opts.only) {
    const unknown = opts.only.filter((n) => !selected.some((u) => u.name === n))
    if (unknown.length > 0) throw new Error(`no such unit: ${unknown.join(", ")} (units: ${units().map((u) => u.name).join(", ")})`)
  }
  const plugin = sqliteAddonPlugin(platformOf(opts.target))
  const results: Array<BuildResult> = []
  for (const unit of selected) {
    const started = performance.now()
    const outfile = join(outdir, unit.name)
    rmSync(outfile, { force: true })
    const result = await Bun.build({
      entrypoints: [unit.entry],
      target: "bun",
      minify: true,
      sourcemap: "linked",
      plugins: [plugin],
      compile: {
        outfile,
        ...(opts.target && opts.target !== "bun" ? { target: opts.target as Bun.Build.CompileTarget } : {}),
        autoloadBunfig: false,
        autoloadDotenv: false
      },
      throw: false
    })
    if (!result.success) {
      throw new Error(`building ${unit.name} failed:\n${result.logs.map((l) => String(l)).join("\n")}`)
    }
    const bytes = Bun.file(outfile).size
    const ms = performance.now() - started
    results.push({ name: unit.name, path: outfile, bytes, ms })
    opts.log?.(`${unit.name.padEnd(28)} ${(bytes / 1e6).toFixed(1).padStart(6)} MB  ${(ms / 1000).toFixed(1)} s`)
  }
  return results
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { outdir: { type: "string" }, only: { type: "string" }, target: { type: "string" } }
  })
  try {
    const results = await build({
      ...(values.outdir ? { outdir: values.outdir } : {}),
      ...(values.only ? { only: values.only.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
      ...(values.target ? { target: values.target } : {}),
      log: (line) => console.log(line)
    })
    console.log(`built ${results.length} executables into ${resolve(values.outdir ?? join(root, "dist", "bin"))}`)
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e))
    process.exit(1)
  }
}
