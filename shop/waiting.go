package shop

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/eventstore"
)

// maxWaitRetry is the longest a waiting reservation's message stays away
// before it comes back. Room is taken up by the wait list as soon as the
// directory sees it; the message coming back is only the safety net for a
// process that crashed with its list, so it can be rare: thousands of
// waiting reservations then cost a few redeliveries a second, not
// thousands.
const maxWaitRetry = 30 * time.Second

// waitDelay is how long a reservation found no room waits before its
// message comes back: a second, doubling to maxWaitRetry.
func waitDelay(attempt uint64) eventstore.RetryLater {
	return eventstore.RetryLater(min(time.Second<<min(attempt-1, 5), maxWaitRetry))
}

// waitList is the reservations this assigner found no room for, in the
// order they were placed, so that the one placed first is the first tried
// the moment a store gains room. (The order they were found waiting in is
// not that: placements are handled by many workers at once.)
type waitList struct {
	mu sync.Mutex
	// order is sorted by placement time, then id; it may still hold ids
	// taken out since, and an id once more under an older time.
	order []waiter
	in    map[uuid.UUID]bool
}

type waiter struct {
	placed time.Time
	id     uuid.UUID
}

func (a waiter) compare(b waiter) int {
	if c := a.placed.Compare(b.placed); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

func newWaitList() *waitList { return &waitList{in: map[uuid.UUID]bool{}} }

// add puts a reservation placed at placed on the list, if it is not on
// it yet.
func (w *waitList) add(id uuid.UUID, placed time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.in[id] {
		return
	}
	w.in[id] = true
	w.insert(waiter{placed: placed, id: id})
	// Ids taken out stay in order until they reach its front; drop
	// them before they outnumber the waiting ones.
	if len(w.order) > 2*len(w.in)+64 {
		seen := make(map[uuid.UUID]bool, len(w.in))
		w.order = slices.DeleteFunc(w.order, func(e waiter) bool {
			drop := !w.in[e.id] || seen[e.id]
			seen[e.id] = true
			return drop
		})
	}
}

func (w *waitList) insert(e waiter) {
	i, _ := slices.BinarySearchFunc(w.order, e, waiter.compare)
	w.order = slices.Insert(w.order, i, e)
}

func (w *waitList) remove(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.in, id)
}

// oldest is the waiting reservation placed first.
func (w *waitList) oldest() (uuid.UUID, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.order) > 0 {
		id := w.order[0].id
		if w.in[id] {
			return id, true
		}
		w.order = w.order[1:]
	}
	return uuid.Nil, false
}

// requeue moves id from the front to the back, after an attempt that
// neither placed it nor ran out of room (its store choice failed), so
// that it does not hold up the others.
func (w *waitList) requeue(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.order) > 0 && w.order[0].id == id {
		w.order = w.order[1:]
		w.insert(waiter{placed: time.Now(), id: id})
	}
}

func (w *waitList) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.in)
}

// wake tries the waiting reservations, oldest first, whenever the
// directory reports room, until they are placed or room runs out.
func (a *Assigner) wake(ctx context.Context) {
	for {
		select {
		case <-a.dir.room:
		case <-ctx.Done():
			return
		}
		for tried := a.waiting.len(); tried > 0 && ctx.Err() == nil && a.dir.hasRoom(); tried-- {
			id, ok := a.waiting.oldest()
			if !ok {
				break
			}
			err := a.converge(ctx, id, 1, true, 0)
			var later eventstore.RetryLater
			switch {
			case err == nil:
				a.waiting.remove(id)
			case errors.As(err, &later):
				// Still no room for it: its turn stays first.
				tried = 0
			default:
				a.s.log.Warn("trying a waiting reservation failed; its message will bring it back", "reservation", id, "err", err)
				a.waiting.requeue(id)
			}
		}
	}
}

// Waiting is how many reservations this assigner holds in its wait list.
func (a *Assigner) Waiting() int { return a.waiting.len() }
