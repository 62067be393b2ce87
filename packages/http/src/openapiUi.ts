// The OpenAPI UI page and its assets, served by the service itself from the pinned swagger-ui-dist
// package: it works offline and through the front door (every URL in it is the service's own).
// The assets are imported as files, so `bun build --compile` embeds them in a service's executable
// (the path is then inside the executable) and they are read from node_modules otherwise.
// @ts-ignore -- a file import: its default export is the file's path
import bundleJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" }
// @ts-ignore -- a file import: its default export is the file's path
import css from "swagger-ui-dist/swagger-ui.css" with { type: "file" }
// @ts-ignore -- a file import: its default export is the file's path
import favicon32 from "swagger-ui-dist/favicon-32x32.png" with { type: "file" }
// @ts-ignore -- a file import: its default export is the file's path
import favicon16 from "swagger-ui-dist/favicon-16x16.png" with { type: "file" }

/** The files the page loads, by the name under `<openapiPath>/assets/`. */
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  "swagger-ui.css": { file: css as string, type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: bundleJs as string, type: "text/javascript; charset=utf-8" },
  "favicon-32x32.png": { file: favicon32 as string, type: "image/png" },
  "favicon-16x16.png": { file: favicon16 as string, type: "image/png" },
}

/**
 * The options the page starts Swagger UI with. No validator badge: it would send the document to
 * validator.swagger.io. A token pasted into "Authorize" lives only as long as the page: with
 * `persistAuthorization` false Swagger UI never writes it to localStorage (its only use of storage), so it
 * does not stay on the origin for the next person at the machine or for a script on the page.
 */
export const OPENAPI_UI_OPTIONS = {
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
} as const

// Reads the spec URL from the page, so the page needs no inline script.
const INIT_JS = `window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  var options = ${JSON.stringify(OPENAPI_UI_OPTIONS)};
  options.url = root.getAttribute("data-spec-url");
  window.ui = SwaggerUIBundle(options);
});
`

/**
 * The page's own Content-Security-Policy (the API's `default-src 'none'` would stop it): everything from the
 * service itself, styles inline too (Swagger UI sets style attributes), images also as data: URLs (its icons);
 * never framed, no form posting anywhere, no base URL changes.
 */
export const OPENAPI_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

/** The page at `<openapiPath>`: absolute paths, the same directly and through the front door. */
export const openapiPage = (openapiPath: string, title: string): Response => {
  const assets = `${openapiPath}/assets`
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${escapeHtml(assets)}/swagger-ui.css" />
  <link rel="icon" type="image/png" sizes="32x32" href="${escapeHtml(assets)}/favicon-32x32.png" />
  <link rel="icon" type="image/png" sizes="16x16" href="${escapeHtml(assets)}/favicon-16x16.png" />
</head>
<body>
  <div id="swagger-ui" data-spec-url="${escapeHtml(openapiPath)}/json"></div>
  <script src="${escapeHtml(assets)}/swagger-ui-bundle.js"></script>
  <script src="${escapeHtml(assets)}/init.js"></script>
</body>
</html>
`
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": OPENAPI_PAGE_CSP } })
}

/** An asset of the page, or undefined when there is no such asset. */
export const openapiAsset = (name: string): Response | undefined => {
  const headers = { "cache-control": "public, max-age=3600" }
  if (name === "init.js") return new Response(INIT_JS, { headers: { ...headers, "content-type": "text/javascript; charset=utf-8" } })
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined
  if (asset === undefined) return undefined
  return new Response(Bun.file(asset.file), { headers: { ...headers, "content-type": asset.type } })
}
