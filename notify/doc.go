// Package notify tells customers about their reservations: for every event
// that changes a reservation's status, it delivers a Notification to a
// webhook, signed as package webhook describes. It promises:
//
//   - At least once. A status change is delivered (the receiver answered
//     2xx) or parked, never dropped: the reservation message that carries
//     it is acked only after that is recorded durably, so a crash, a
//     SIGKILL or a NATS restart at any moment only causes it to be sent
//     again, with the same Tshop-Event-Id, which the receiver dedupes on.
//     The messages a killed notifier held come back to the others after
//     the consumer's AckWait (2×Timeout + 10 s); an attempt it had claimed
//     is taken over when the claim's lease ends (Timeout + 5 s).
//
//   - In order per reservation, across processes and restarts. A status
//     change is first sent only once every earlier change of the same
//     reservation has been answered 2xx or parked. Each reservation has a
//     progress row (an eventstore.Table keyed by reservation id) naming the
//     last of its messages fully dealt with, the reservation's state after
//     it, and, within the next message, the change being delivered. A
//     handler walks the reservation's log from that row (eventstore.Next),
//     never in the order JetStream happens to deliver messages, so
//     redeliveries, AckWait expiries and several notifier instances cannot
//     reorder anything. Every write to the row is compare-and-set, and each
//     attempt is claimed in the row (a lease) before it is sent, so no two
//     instances send the same change at once and no instance acts on a row
//     that moved. What a receiver can still see: a duplicate of an earlier
//     change after a later one (an instance that crashed after sending and
//     before recording), which its dedupe by event id drops; and a gap
//     where a change was parked, visible in the next notification's
//     previousStatus.
//
//     The one limit: a lease is a time, so it assumes the notifiers' clocks
//     within 5 s of each other and no process frozen for longer than its
//     lease between claiming an attempt and sending it. Past that, a stale
//     copy of a change may still arrive after a later change: a duplicate
//     if the change was delivered, or, if it was parked meanwhile, its
//     first copy. A receiver that must never go back orders a
//     reservation's notifications by (sequence, index), both in the id,
//     and ignores one lower than what it already has.
//
//   - Never blocking anything else. The notifier has a durable consumer of
//     its own (Durable); nothing waits for it. A reservation whose
//     notification fails gives its worker back at once: its message comes
//     back after the backoff (eventstore.RetryLater) and the others flow
//     past it, up to 10,000 messages waiting at once. At most Concurrency
//     requests run at once in a process, each bounded by Timeout.
//
//   - Bounded retries. A failed attempt (an answer other than 2xx, a
//     redirect, a timeout, a refused connection) is retried with
//     exponential backoff and full jitter, a random wait below
//     RetryInitial doubling per failure up to RetryMax (at least a 429's
//     or 503's Retry-After), for RetryFor after the first attempt; the
//     retry clock lives in the progress row and survives restarts. After
//     the last attempt the notification is parked: kept in the stream
//     TSHOP_NOTIFIER_PARKED (ListParked, `notifier parked`) and logged at
//     error level, and the reservation's later changes proceed.
//
// Limits: a message of the reservations stream that does not decode is
// parked by eventstore's consumer before this package sees it; when a later
// message of the same reservation comes, the undecodable one is parked here
// too, and the changes after it apply to the last state known. The first
// notifier to start on an existing log notifies every status change in it
// (the durable consumer starts at the first message). The progress table
// keeps one small row per reservation for ever.
package notify
