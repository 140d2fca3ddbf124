package eventstore

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Stats counts what a Store did since it opened, for a process's metrics.
// Every field only grows.
type Stats struct {
	// Appends is appends stored (a duplicate of a stored one included).
	Appends atomic.Uint64
	// Conflicts is appends refused because the aggregate had moved on.
	Conflicts atomic.Uint64
	// Parked is consumer messages given up on: undecodable, or failed
	// MaxAttempts times.
	Parked atomic.Uint64
}

// Stats is the Store's counters.
func (s *Store) Stats() *Stats { return &s.stats }

// Backlog is what a durable consumer still has to do: messages not yet
// delivered, and delivered but not yet acked (in hand, or waiting to be
// delivered again).
func (s *Store) Backlog(ctx context.Context, k Kind, durable string) (pending, unacked uint64, err error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	c, err := s.js.Consumer(ctx, k.Stream(), durable)
	if err != nil {
		return 0, 0, fmt.Errorf("consumer %s: %w", durable, classify(err))
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("consumer %s: %w", durable, classify(err))
	}
	return info.NumPending, uint64(info.NumAckPending), nil
}
