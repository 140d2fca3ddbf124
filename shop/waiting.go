package shop

import (
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

// waitList is the reservations this assigner found no room for, oldest
// first, so that they are tried again the moment a store gains room.
type waitList struct {
	mu    sync.Mutex
	order []uuid.UUID
	in    map[uuid.UUID]bool
}

func newWaitList() *waitList { return &waitList{in: map[uuid.UUID]bool{}} }

func (w *waitList) add(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.in[id] {
		return
	}
	w.in[id] = true
	w.order = append(w.order, id)
	// Ids taken out stay in order until they reach its front; drop
	// them before they outnumber the waiting ones.
	if len(w.order) > 2*len(w.in)+64 {
		w.order = slices.DeleteFunc(w.order, func(id uuid.UUID) bool { return !w.in[id] })
		seen := make(map[uuid.UUID]bool, len(w.order))
		w.order = slices.DeleteFunc(w.order, func(id uuid.UUID) bool {
			dup := seen[id]
			seen[id] = true
			return dup
		})
	}
}

func (w *waitList) remove(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.in, id)
}

// oldest is the reservation that has waited longest.
func (w *waitList) oldest() (uuid.UUID, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.order) > 0 {
		id := w.order[0]
		if w.in[id] {
			return id, true
		}
		w.order = w.order[1:]
	}
	return uuid.Nil, false
}

// requeue moves id from the front to the back, after an attempt that
// neither placed it nor ran out of room (its store choice failed).
func (w *waitList) requeue(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.order) > 0 && w.order[0] == id {
		w.order = append(w.order[1:], id)
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
