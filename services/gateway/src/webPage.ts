// The customer web page (web/dist, built by web/build.ts) as the front door serves it: hashed assets
// under /assets/ cached for a year, and index.html — never cached — for any other page path a browser asks for.
import { existsSync } from "node:fs";
import { join, normalize, resolve, sep } from "node:path";

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  woff2: "font/woff2",
  map: "application/json",
  txt: "text/plain; charset=utf-8",
};

// Everything the page needs comes from this origin; QR codes are shown from blob: URLs.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "content-security-policy":
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export type PageHandler = (req: Request, url: URL) => Response | undefined;

/** The repository's web/dist, seen from this file. */
export const defaultWebDist = (): string => resolve(import.meta.dir, "..", "..", "..", "web", "dist");

/**
 * Answers GET/HEAD for the page: `/assets/<name>` from `dist/assets`, and index.html for a path whose
 * request accepts text/html. Anything else is left to the caller (undefined), so API clients and unknown
 * non-page paths keep getting problem+json.
 */
export const webPage = (dist: string): PageHandler => {
  const assets = resolve(dist, "assets");
  return (req, url) => {
    if (req.method !== "GET" && req.method !== "HEAD") return undefined;
    const body = (file: string) => (req.method === "HEAD" ? null : Bun.file(file));
    if (url.pathname.startsWith("/assets/")) {
      let name: string;
      try {
        name = decodeURIComponent(url.pathname.slice("/assets/".length));
      } catch {
        return undefined;
      }
      const file = normalize(join(assets, name));
      if (!file.startsWith(assets + sep) || !existsSync(file)) return undefined;
      const ext = file.slice(file.lastIndexOf(".") + 1);
      return new Response(body(file), {
        headers: {
          "content-type": TYPES[ext] ?? "application/octet-stream",
          "cache-control": "public, max-age=31536000, immutable",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (!(req.headers.get("accept") ?? "").includes("text/html")) return undefined;
    const index = join(dist, "index.html");
    if (!existsSync(index)) return undefined;
    return new Response(body(index), { headers: PAGE_HEADERS });
  };
};
