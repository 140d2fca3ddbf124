// Package shop carries out Tshop's commands against the event log: it loads
// an aggregate, lets the domain decide, and appends the events with
// optimistic concurrency, retrying on conflict.
//
// Reserving is the hot path. Concurrent reservations of one product in one
// process are group-committed: a per-product lane folds every waiting
// command into one append, so a hot product costs one append per batch, not
// one conflict storm per request. A reservation is born in its product's
// log (StockReserved, the commit point) and then placed in its own log
// (ReservationPlaced); Run completes any placement or cancellation that a
// crash left half done.
package shop
