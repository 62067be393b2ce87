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

// Reads the spec URL from the page, so the page needs no inline script. No validator badge: it would
// send the document to validator.swagger.io.
const INIT_JS = `window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: true
  });
});
`

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
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } })
}

/** An asset of the page, or undefined when there is no such asset. */
export const openapiAsset = (name: string): Response | undefined => {
  const headers = { "cache-control": "public, max-age=3600" }
  if (name === "init.js") return new Response(INIT_JS, { headers: { ...headers, "content-type": "text/javascript; charset=utf-8" } })
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined
  if (asset === undefined) return undefined
  return new Response(Bun.file(asset.file), { headers: { ...headers, "content-type": asset.type } })
}
