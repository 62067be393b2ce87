// The in-process subscription registry: wakes a user's open streams (and the delivery relay) after a commit.
import { Context } from "effect"

type Listener = () => void

export class FeedRegistry {
  private readonly byUser = new Map<string, Set<Listener>>()
  private readonly anyCommit = new Set<Listener>()
  private readonly pending = new Set<string>()
  private scheduled = false

  /**
   * `afterCommit` runs an action once the transaction calling `changed` has committed, never if it rolls back
   * (the store's `afterCommit`; outside a transaction, at once).
   */
  constructor(private readonly afterCommit: (action: () => void) => void = (action) => action()) {}

  /** Calls `listener` after each commit that added a notification for `userId`; returns the unsubscribe. */
  subscribe(userId: string, listener: Listener): () => void {
    let set = this.byUser.get(userId)
    if (!set) this.byUser.set(userId, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId)
    }
  }

  /** Calls `listener` after each commit that added any notification. */
  onAnyCommit(listener: Listener): () => void {
    this.anyCommit.add(listener)
    return () => this.anyCommit.delete(listener)
  }

  /** How many streams are open, for /ready. */
  get subscribers(): number {
    let n = 0
    for (const set of this.byUser.values()) n += set.size
    return n
  }

  /**
   * Records that `userId` has a new notification. Called inside the transaction; once it has committed, the
   * user's listeners (and the any-commit ones) run, together for everything committed in the same turn, so they
   * read committed rows. A rolled-back change wakes nobody.
   */
  changed(userId: string): void {
    this.afterCommit(() => {
      this.pending.add(userId)
      this.schedule()
    })
  }

  private schedule() {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => this.flush())
  }

  private flush() {
    this.scheduled = false
    const users = [...this.pending]
    this.pending.clear()
    for (const userId of users) for (const l of [...(this.byUser.get(userId) ?? [])]) l()
    if (users.length > 0) for (const l of [...this.anyCommit]) l()
  }
}

export class NotificationFeed extends Context.Service<NotificationFeed, FeedRegistry>()("notifications/app/NotificationFeed") {}
