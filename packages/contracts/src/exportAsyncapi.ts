// Writes rabbitmq/asyncapi.yaml from the contracts: `bun run asyncapi:export`.
import { join } from "node:path"
import { Document } from "yaml"
import { asyncApiDocument } from "./asyncapi.ts"

export const asyncApiYaml = (): string => {
  const doc = new Document(asyncApiDocument())
  doc.commentBefore = " Generated from packages/contracts by `bun run asyncapi:export`; do not edit by hand."
  return doc.toString({ lineWidth: 0 })
}
export const asyncApiPath = join(import.meta.dir, "../../../rabbitmq/asyncapi.yaml")

if (import.meta.main) {
  await Bun.write(asyncApiPath, asyncApiYaml())
  console.log(`wrote ${asyncApiPath}`)
}
