// Writes rabbitmq/definitions.json from the code's topology: `bun run topology:export`.
import { join } from "node:path"
import { systemTopology, toDefinitions } from "./Topology.ts"

export const definitionsJson = (): string => `${JSON.stringify(toDefinitions(systemTopology()), null, 2)}\n`
export const definitionsPath = join(import.meta.dir, "../../../rabbitmq/definitions.json")

if (import.meta.main) {
  await Bun.write(definitionsPath, definitionsJson())
  console.log(`wrote ${definitionsPath}`)
}
