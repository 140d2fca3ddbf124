// Package projections builds the customer center's read model from the
// event log: reservations with their history, each customer's
// reservations, product stock, and store load with the reservations each
// store holds.
//
// The folds are pure: Apply reads and writes views through a small
// key-value interface, so they are tested as tables in memory. DB keeps the
// views in bbolt and promises:
//
//   - each batch of events and the checkpoint of every stream it read (the
//     last stream sequence applied) are written in one transaction, so an
//     event redelivered or replayed after a crash is applied at most once;
//   - the views depend only on the events, so a read model that has caught
//     up equals a fresh replay of the log, byte for byte per key.
//
// No *bolt.Tx escapes the package.
package projections
