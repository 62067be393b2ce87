// PaymentRefunded → "we refunded …".
import type { Handler } from "@bat/messaging"
import { Notifications } from "../app/Notifications.ts"

export const notifyOnPaymentRefunded: Handler<"PaymentRefunded", Notifications> = (data) =>
  Notifications.use((n) => n.record({ kind: "refunded", ...data }))
