// Package load drives a request function with load and reports honest
// latencies.
//
// A run has a warmup, whose requests are sent but not recorded, followed by
// a measured window of Config.Duration.
//
// Closed loop (Rate 0): Config.Conns workers send back to back. A request
// belongs to the measured window when it starts inside it, and its latency
// is how long it actually took.
//
// Open loop (Rate > 0): request i is intended to be sent at start + i/Rate,
// where start is the beginning of the warmup. Workers take intended times
// from one shared schedule and sleep until each is due. A request belongs to
// the measured window when its intended time falls inside it, and its
// latency runs from its intended time to its completion, so a request that
// went out late because every worker was busy is charged the wait. This
// avoids coordinated omission: a stalled server cannot hide the stall by
// slowing the client down.
//
// Backlog cap: when more than Conns*1000 intended sends are overdue, the
// oldest overdue ones are dropped and never sent, so the backlog (and with it
// how late a request can be sent) stays bounded instead of growing for as
// long as the server is behind. Intended sends of the measured window that
// are dropped this way, or that are still unsent when the window closes, are
// counted in Result.Kinds[NotSent] and in no other field. In an open-loop run
// that is not cancelled, Done + Kinds[NotSent] is exactly the number of
// intended sends in the measured window.
//
// Run waits for every measured request to finish (each is bounded by
// Config.Timeout), so Result.Elapsed may run past Config.Duration by the
// slowest request's tail; Result.Achieved is Done over that time.
package load
