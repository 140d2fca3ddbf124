// Package domain holds Tshop's aggregates (Product, Reservation, Store), the
// commands they accept and the events they emit, as pure decide/evolve code.
//
// Nothing here does I/O or reads a clock: time is passed in. Decide checks a
// command against the current state and returns the events it causes (or an
// error naming why not); Evolve applies one event and never fails, so any
// state can be rebuilt by folding its events in order.
package domain
