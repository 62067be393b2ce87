// Writes rabbitmq/definitions.json from the code's topology: `bun run topology:export`.
// Besides the layout it lists each service user's permissions (DESIGN §17); the users themselves, with
// their passwords, are created by rabbitmq/ensure-broker.sh (or `rabbitmqctl add_user`) before an import.
import { join } from "node:path"
import { brokerPermissionsOf, brokerServices, brokerUserOf } from "./Access.ts"
import { systemTopology, toDefinitions } from "./Topology.ts"

export const definitionsJson = (): string => {
  const definitions = toDefinitions(systemTopology())
  const permissions = brokerServices.map((s) => ({ user: brokerUserOf(s), vhost: "/", ...brokerPermissionsOf(s) }))
  return `${JSON.stringify({ ...definitions, permissions }, null, 2)}\n`
}
export const definitionsPath = join(import.meta.dir, "../../../rabbitmq/definitions.json")

if (import.meta.main) {
  await Bun.write(definitionsPath, definitionsJson())
  console.log(`wrote ${definitionsPath}`)
}
