// Package assign chooses the store that takes a pre-order reservation.
//
// It promises:
//
//   - One rule, documented on Directory.Choose: among the stores that are not
//     paused, have free capacity and did not turn the reservation down, the
//     nearest by great-circle distance wins, except that a store within
//     NearTieKm of that nearest one with more free capacity is preferred;
//     remaining ties go to the nearer store, then to the smaller ID, so a
//     choice is deterministic.
//   - Choose answers from a spatial index in microseconds with tens of
//     thousands of stores, and always exactly as BruteForce, the plain scan
//     it is tested and benchmarked against, answers.
//   - Every choice says why (Choice.Considered): the stores nearer than the
//     chosen one that were passed over, with the reason, and the nearest
//     eligible runners-up.
//
// Directory is safe for concurrent use. The package does no I/O and keeps
// no clock.
package assign
