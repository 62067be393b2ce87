// Least privilege on the broker (DESIGN §17): one broker user per service, what it may configure,
// write and read, how a service finds its credentials, and which validated user-id a consumer accepts.
import { bindingsOf, catalog, dlqOf, exchangeOf, holdExpiredQueue, inboxOf, isEventType, producers, services } from "@bat/contracts"
import { brokerUrls } from "./Broker.ts"

/** The broker user of a service: `bookaticket-<service>` (users are global in RabbitMQ; the prefix keeps them apart). */
export const brokerUserOf = (service: string): string => `bookaticket-${service}`

/**
 * The development password of a service's broker user, known to `rabbitmq/ensure-broker.sh` and the test
 * harnesses. It contains `CHANGE-ME`, so production refuses it.
 */
export const devBrokerPassword = (service: string): string => `CHANGE-ME-dev-${service}`

/** The setting that carries a service's broker password for tools that provision every user: `AMQP_PASSWORD_BOOKING`. */
export const passwordSettingOf = (service: string): string => `AMQP_PASSWORD_${service.toUpperCase()}`

/**
 * Header a consumer writes on what it republishes itself (retries, parkings, replays): the validated
 * user-id the message first arrived with. Only trusted on a message whose own user-id is the consumer's.
 */
export const PRODUCER_USER_HEADER = "x-producer-user-id"

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
const anyOf = (patterns: ReadonlyArray<string>) => `^(${patterns.join("|")})$`

/** Exchanges a service's inbox is bound from (it needs read on them to bind). */
export const sourcesOf = (service: string): ReadonlyArray<string> => {
  if (!(services as ReadonlyArray<string>).includes(service)) return []
  return [...new Set(bindingsOf(service as (typeof services)[number]).map((b) => b.exchange))].sort()
}

/** Inboxes that receive events of `producer`: they must exist before it publishes (DESIGN §3.1). */
export const peerInboxesOf = (producer: string): ReadonlyArray<string> =>
  services.filter((c) => bindingsOf(c).some((b) => b.exchange === exchangeOf(producer))).map(inboxOf)

export interface Permissions {
  readonly configure: string
  readonly write: string
  readonly read: string
}

/**
 * A service's permissions on the vhost: configure and write only its own exchange and queues
 * (`<service>.events`, `.inbox`, `.dlq`, `.retry.*`; payments' hold queues), write the default exchange
 * (retries, parkings and the hold timer go through it), read only its own queues and the exchanges its
 * inbox is bound from (queue.bind needs read on the source exchange and write on the queue).
 */
export const brokerPermissionsOf = (service: string): Permissions => {
  const s = escape(service)
  const own = [`${s}\\.events`, `${s}\\.inbox`, `${s}\\.dlq`, `${s}\\.retry\\..+`]
  if (service === "payments") own.push("payments\\.hold\\..+", escape(holdExpiredQueue))
  const ownQueues = own.filter((p) => p !== `${s}\\.events`)
  return {
    configure: anyOf(own),
    write: anyOf(["amq\\.default", ...own]),
    read: anyOf([...ownQueues, ...sourcesOf(service).map(escape)])
  }
}

/** Every service that gets a broker user. */
export const brokerServices: ReadonlyArray<string> = services

export interface BrokerCredentials {
  /** The URL(s) to connect to, every node with this service's user and password. */
  readonly url: string
  readonly user: string
  /** True when the user is the service's own (`bookaticket-<service>`): least privilege is in force. */
  readonly ownUser: boolean
}

/** Replaces the credentials of every node of `url` (comma-separated nodes). */
export const withCredentials = (url: string, user: string, password: string): string =>
  brokerUrls(url)
    .map((u) => {
      const parsed = new URL(u)
      parsed.username = encodeURIComponent(user)
      parsed.password = encodeURIComponent(password)
      return parsed.href
    })
    .join(",")

/** The user a URL authenticates as (amqplib: guest when the URL names none). */
export const userOfUrl = (url: string): string => {
  const u = new URL(brokerUrls(url)[0]!)
  return u.username === "" && u.password === "" ? "guest" : decodeURIComponent(u.username)
}

export const DEFAULT_BROKER_URL = "amqp://127.0.0.1:5672"

/**
 * A service's broker link from its settings: `AMQP_URL` names the node(s) and vhost; `AMQP_USER` and
 * `AMQP_PASSWORD` (else the URL's own credentials, else `bookaticket-<service>` with its development
 * password) the credentials. With `NODE_ENV=production` the user must be the service's own and the
 * password not an example one; a bad setting throws an error naming it.
 */
export const brokerCredentialsFor = (service: string, env: Readonly<Record<string, string | undefined>>): BrokerCredentials => {
  const base = env.AMQP_URL ?? DEFAULT_BROKER_URL
  const first = new URL(brokerUrls(base)[0]!)
  const urlHasCredentials = first.username !== "" || first.password !== ""
  const user = env.AMQP_USER ?? (urlHasCredentials ? decodeURIComponent(first.username) : brokerUserOf(service))
  const password =
    env.AMQP_PASSWORD ??
    (urlHasCredentials && env.AMQP_USER === undefined
      ? decodeURIComponent(first.password)
      : user === brokerUserOf(service)
        ? devBrokerPassword(service)
        : undefined)
  if (password === undefined) throw new Error(`AMQP_PASSWORD: not set for broker user ${user}`)
  const ownUser = user === brokerUserOf(service)
  if (env.NODE_ENV === "production") {
    if (!ownUser) {
      throw new Error(
        `AMQP_USER: ${service} must connect as its own broker user ${brokerUserOf(service)} in production, not ${user} (DESIGN §17)`
      )
    }
    if (/CHANGE-ME/i.test(password)) throw new Error("AMQP_PASSWORD: an example password (CHANGE-ME) is refused in production")
  }
  return { url: withCredentials(base, user, password), user, ownUser }
}

export type UserCheck = { readonly ok: true } | { readonly ok: false; readonly error: string }

/**
 * Whether a delivery's validated user-id may carry this event type (DESIGN §17). The broker refuses a
 * publish whose user-id is not the connection's, so the user-id names who published it:
 * - the producer's own user (`bookaticket-<producer of the type>`): accepted;
 * - the consumer's own user: a retry, parking or replay the consumer republished itself; accepted
 *   only when the user-id it first arrived with (header `x-producer-user-id`, written by the consumer)
 *   was the producer's;
 * - anything else, or none, is refused. A consumer that runs with a shared user (development and
 *   tests without per-service users; refused in production) also accepts that user and no user-id.
 */
export const checkUserId = (
  type: string,
  userId: unknown,
  headers: Readonly<Record<string, unknown>> | undefined,
  consumer: { readonly user: string; readonly ownUser: boolean }
): UserCheck => {
  if (!isEventType(type)) return { ok: true } // parked as an unknown type anyway
  const producer = catalog[type].producer
  const expected = brokerUserOf(producer)
  const first = headers?.[PRODUCER_USER_HEADER]
  // Checked before the producer's user: for a consumer's own events (booking's TicketBookingAttempted) the two are
  // the same, and a forgery it parked and then replayed must still be judged by the user-id it first came with.
  if (consumer.ownUser && userId === consumer.user && first !== undefined && first !== expected) {
    return {
      ok: false,
      error: `${type} is published by ${producer} (broker user ${expected}); this message was republished by ${consumer.user} but first arrived with user-id ${typeof first === "string" && first !== "" ? first : "(none)"}`
    }
  }
  if (userId === expected) return { ok: true }
  if (!consumer.ownUser && (userId === undefined || userId === consumer.user)) return { ok: true }
  if (userId === consumer.user) {
    if (first === expected) return { ok: true }
    return {
      ok: false,
      error: `${type} is published by ${producer} (broker user ${expected}); this message was republished by ${consumer.user} but first arrived with user-id ${typeof first === "string" && first !== "" ? first : "(none)"}`
    }
  }
  return {
    ok: false,
    error: `${type} is published by ${producer} (broker user ${expected}), but this message's validated user-id is ${typeof userId === "string" ? userId : "(none)"}`
  }
}

/** Every producer's exchange (for the operator's layout). */
export const producerExchanges = (): ReadonlyArray<string> => producers.map(exchangeOf).sort()
export { dlqOf, inboxOf }
