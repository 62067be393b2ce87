// The operator's step before the services start (DESIGN §17, §3.1): one broker user per service,
// its permissions on the vhost, and the layout every consumer needs before any producer publishes.
// `rabbitmq/ensure-broker.sh` runs it (`bun packages/messaging/src/provisionBroker.ts`); the test
// harnesses call `provisionBroker` on their own vhosts. Idempotent; it never deletes anything.
import * as amqp from "amqplib"
import { brokerPermissionsOf, brokerServices, brokerUserOf, devBrokerPassword, passwordSettingOf } from "./Access.ts"
import { declareTopology, operatorTopology } from "./Topology.ts"

export interface ProvisionOptions {
  /** Management API base URL with an administrator's credentials, e.g. http://guest:guest@127.0.0.1:15672. */
  readonly managementUrl: string
  readonly vhost: string
  /**
   * A service's password. Given (e.g. from `AMQP_PASSWORD_<SERVICE>`): the user is created or its
   * password set. Undefined: the user is created with its development password only if it is absent.
   */
  readonly passwordOf?: (service: string) => string | undefined
  /** Declares the operator's layout through this AMQP URL (an administrator on the vhost). */
  readonly layout?: { readonly amqpUrl: string; readonly deliveryLimit?: number }
  readonly services?: ReadonlyArray<string>
}

const management = async (base: string, path: string, method = "GET", body?: unknown): Promise<Response> => {
  const u = new URL(base)
  const auth = `Basic ${btoa(`${decodeURIComponent(u.username || "guest")}:${decodeURIComponent(u.password || "guest")}`)}`
  u.username = ""
  u.password = ""
  const url = new URL(path.replace(/^\//, ""), u.href.endsWith("/") ? u.href : `${u.href}/`)
  return fetch(url, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
}

const ok = async (res: Response, what: string) => {
  if (!res.ok) throw new Error(`${what} failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`)
}

/** Creates the users that are missing (never deletes or renames one). Users are global in RabbitMQ. */
export const ensureBrokerUsers = async (opts: Pick<ProvisionOptions, "managementUrl" | "passwordOf" | "services">): Promise<void> => {
  for (const service of opts.services ?? brokerServices) {
    const user = brokerUserOf(service)
    const given = opts.passwordOf?.(service)
    const path = `/api/users/${encodeURIComponent(user)}`
    if (given === undefined) {
      const res = await management(opts.managementUrl, path)
      await res.body?.cancel()
      if (res.ok) continue
      if (res.status !== 404) throw new Error(`looking up broker user ${user} failed: HTTP ${res.status}`)
    }
    await ok(
      await management(opts.managementUrl, path, "PUT", { password: given ?? devBrokerPassword(service), tags: "" }),
      `creating broker user ${user}`
    )
  }
}

/** Sets every service user's permissions on `vhost` (configure/write own, read own + sources). */
export const grantBrokerPermissions = async (opts: Pick<ProvisionOptions, "managementUrl" | "vhost" | "services">): Promise<void> => {
  for (const service of opts.services ?? brokerServices) {
    const user = brokerUserOf(service)
    await ok(
      await management(
        opts.managementUrl,
        `/api/permissions/${encodeURIComponent(opts.vhost)}/${encodeURIComponent(user)}`,
        "PUT",
        brokerPermissionsOf(service)
      ),
      `granting ${user} its permissions on vhost ${opts.vhost}`
    )
  }
}

/** Declares every exchange, every consumer's inbox, DLQ and bindings (what no single service may declare). */
export const declareOperatorLayout = async (amqpUrl: string, deliveryLimit?: number): Promise<void> => {
  const conn = await amqp.connect(amqpUrl)
  conn.on("error", () => {})
  try {
    const open = async () => {
      const ch = await conn.createChannel()
      ch.on("error", () => {})
      return ch
    }
    const spec = operatorTopology(deliveryLimit === undefined ? {} : { deliveryLimit })
    const last = await declareTopology(open, await open(), spec, (m) => console.error(`provision-broker: ${m}`))
    await last.close().catch(() => {})
  } finally {
    await conn.close().catch(() => {})
  }
}

export const provisionBroker = async (opts: ProvisionOptions): Promise<void> => {
  await ensureBrokerUsers(opts)
  await grantBrokerPermissions(opts)
  if (opts.layout) await declareOperatorLayout(opts.layout.amqpUrl, opts.layout.deliveryLimit)
}

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ++ sha256(salt ++ password)), 4-byte salt. */
export const rabbitPasswordHash = (password: string): string => {
  const salt = crypto.getRandomValues(new Uint8Array(4))
  const digest = new Bun.CryptoHasher("sha256").update(Buffer.concat([salt, Buffer.from(password, "utf8")])).digest()
  return Buffer.concat([salt, digest]).toString("base64")
}

/**
 * Definitions (users with password hashes, their permissions on `vhost`) for a node the tools start
 * themselves (a private test node, `rabbitmq/cluster.sh`): loaded at boot or with
 * `rabbitmqctl import_definitions`. `guest` is kept, for the loopback-only administrator.
 */
export const serviceUsersDefinitions = (opts: { readonly vhost?: string; readonly passwordOf?: (service: string) => string | undefined } = {}) => {
  const vhost = opts.vhost ?? "/"
  const users = brokerServices.map((s) => ({
    name: brokerUserOf(s),
    password_hash: rabbitPasswordHash(opts.passwordOf?.(s) ?? devBrokerPassword(s)),
    hashing_algorithm: "rabbit_password_hashing_sha256",
    tags: ""
  }))
  return {
    users: [
      { name: "guest", password_hash: rabbitPasswordHash("guest"), hashing_algorithm: "rabbit_password_hashing_sha256", tags: "administrator" },
      ...users
    ],
    vhosts: [{ name: vhost }],
    permissions: [
      { user: "guest", vhost, configure: ".*", write: ".*", read: ".*" },
      ...brokerServices.map((s) => ({ user: brokerUserOf(s), vhost, ...brokerPermissionsOf(s) }))
    ]
  }
}

if (import.meta.main && process.argv[2] === "definitions") {
  // `bun provisionBroker.ts definitions [vhost]`: the users' definitions, passwords from AMQP_PASSWORD_<SERVICE>.
  const env = process.env
  console.log(JSON.stringify(serviceUsersDefinitions({ vhost: process.argv[3] ?? "/", passwordOf: (s) => env[passwordSettingOf(s)] || undefined })))
} else if (import.meta.main) {
  const env = process.env
  const host = env.RABBITMQ_HOST ?? "127.0.0.1"
  const managementUrl = env.RABBITMQ_MANAGEMENT_URL ?? `http://guest:guest@${host}:${env.RABBITMQ_MANAGEMENT_PORT ?? "15672"}`
  const firstNode = (env.AMQP_URL ?? `amqp://${host}:${env.RABBITMQ_NODE_PORT ?? "5672"}`).split(",")[0]!.trim()
  const node = new URL(firstNode)
  const vhost = env.AMQP_VHOST ?? (node.pathname.length > 1 ? decodeURIComponent(node.pathname.slice(1)) : "/")
  const admin = new URL(managementUrl)
  node.username = admin.username || "guest"
  node.password = admin.password || "guest"
  node.pathname = `/${encodeURIComponent(vhost)}`
  node.search = ""
  const production = env.NODE_ENV === "production"
  try {
    await provisionBroker({
      managementUrl,
      vhost,
      passwordOf: (service) => {
        const given = env[passwordSettingOf(service)]
        if (production && (given === undefined || /CHANGE-ME/i.test(given))) {
          throw new Error(`${passwordSettingOf(service)}: a real password is required in production`)
        }
        return given === "" ? undefined : given
      },
      layout: { amqpUrl: node.href, ...(env.INBOX_DELIVERY_LIMIT ? { deliveryLimit: Number(env.INBOX_DELIVERY_LIMIT) } : {}) }
    })
    console.error(`provision-broker: ${brokerServices.length} service users, their permissions and the layout are in place on vhost ${vhost}`)
  } catch (e) {
    console.error(`provision-broker: ${(e as Error).message}`)
    process.exit(1)
  }
}
