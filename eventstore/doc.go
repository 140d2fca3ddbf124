// Package eventstore is the only package that speaks JetStream. It keeps one
// stream per aggregate type and one literal subject per aggregate, and
// promises:
//
//   - Append stores a message only if the aggregate's subject still ends at
//     the sequence the caller last saw (optimistic concurrency); any
//     conflict, on one server or a cluster, is ErrConflict.
//   - Every message holds the events of one append and the aggregate's state
//     after them, so Last loads an aggregate in one read whatever the length
//     of its history.
//   - An unreachable or slow NATS is ErrUnavailable within the configured
//     timeout: no call hangs.
//   - Consume feeds a durable consumer shared by every process that names
//     it; a message is acked only after its handler succeeded, and parked
//     after bounded failing attempts.
//
// No jetstream type escapes the package.
package eventstore
