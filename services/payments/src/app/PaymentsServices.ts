// Everything the payments use cases and routes run with, provided once in service.ts (bootService adds the Store).
import type { FingerprintKey } from "./FingerprintKey.ts"
import type { CardGateway } from "./CardGateway.ts"
import type { Payments, PaymentsSettings } from "./Payments.ts"
import type { RefundSignal } from "./RefundSignal.ts"
import type { PaymentsRepo } from "../store/PaymentsRepo.ts"

export type PaymentsServices = Payments | PaymentsRepo | CardGateway | PaymentsSettings | RefundSignal | FingerprintKey
