package shop

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// directory is an assigner's picture of every store, kept by following the
// stores' stream: their places and free capacity for choosing, and which
// stores hold which reservation for releasing.
type directory struct {
	es    *eventstore.Store
	index *assign.Directory

	mu     sync.Mutex
	stores map[string]domain.Store
	// slotSeqs holds the stream sequence of each store's newest slots
	// message, which a slot append expects.
	slotSeqs map[string]uint64
	// unread lists the stores one of whose messages could not be read:
	// their entries in stores may be wrong from then on.
	unread  map[string]bool
	holders map[uuid.UUID]map[string]bool
	applied uint64
	moved   chan struct{} // closed and replaced whenever applied moves
	// open counts the stores taking reservations with room left.
	open int
	// room is signalled whenever a store gains room: one was added,
	// resumed, given more capacity or freed a slot.
	room chan struct{}
}

func newDirectory(es *eventstore.Store) *directory {
	return &directory{es: es, index: assign.NewDirectory(), stores: map[string]domain.Store{},
		slotSeqs: map[string]uint64{}, unread: map[string]bool{}, holders: map[uuid.UUID]map[string]bool{}, moved: make(chan struct{}), room: make(chan struct{}, 1)}
}

// roomIn is how many reservations a store can take now.
func roomIn(s domain.Store) int {
	if s.Paused || s.ID == "" {
		return 0
	}
	return s.Free()
}

// hasRoom reports whether any store can take a reservation now.
func (d *directory) hasRoom() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open > 0
}

// follow applies the stores' stream until ctx ends, retrying while NATS is
// away.
func (d *directory) follow(ctx context.Context, log func(error)) {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		d.mu.Lock()
		from := d.applied + 1
		d.mu.Unlock()
		err := d.es.Follow(ctx, eventstore.Stores, from, func(m eventstore.Message, _ eventstore.Position) error {
			d.apply(m)
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		log(err)
		t := time.NewTimer(min(time.Duration(attempt)*500*time.Millisecond, 5*time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

func (d *directory) apply(m eventstore.Message) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m.Seq <= d.applied {
		return
	}
	if m.Err == nil {
		s := d.stores[m.ID]
		before := roomIn(s)
		for _, e := range m.Events {
			s = s.Evolve(e)
			switch e := e.(type) {
			case domain.StoreSlotTaken:
				if d.holders[e.ReservationID] == nil {
					d.holders[e.ReservationID] = map[string]bool{}
				}
				d.holders[e.ReservationID][e.StoreID] = true
			case domain.StoreSlotReleased:
				delete(d.holders[e.ReservationID], e.StoreID)
				if len(d.holders[e.ReservationID]) == 0 {
					delete(d.holders, e.ReservationID)
				}
			}
		}
		d.stores[m.ID] = s
		after := roomIn(s)
		switch {
		case before == 0 && after > 0:
			d.open++
		case before > 0 && after == 0:
			d.open--
		}
		if after > before {
			select {
			case d.room <- struct{}{}:
			default:
			}
		}
		d.index.Put(assign.Store{ID: s.ID, Location: s.Location, Capacity: s.Capacity, Load: s.Load(), Paused: s.Paused})
		if m.Kind == eventstore.Slots {
			d.slotSeqs[m.ID] = m.Seq
		}
	} else {
		d.unread[m.ID] = true
	}
	d.applied = m.Seq
	close(d.moved)
	d.moved = make(chan struct{})
}

// waitFor returns once the directory has applied the stores' stream up to
// seq.
func (d *directory) waitFor(ctx context.Context, seq uint64) error {
	for {
		d.mu.Lock()
		done, moved := d.applied >= seq, d.moved
		d.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sync waits until the directory has applied every store event written so
// far, by any process.
func (d *directory) sync(ctx context.Context) error {
	seq, err := d.es.LastSeq(ctx, eventstore.Stores)
	if err != nil {
		return err
	}
	return d.waitFor(ctx, seq)
}

// holding lists the stores that hold reservation id.
func (d *directory) holding(id uuid.UUID) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.holders[id]))
	for s := range d.holders[id] {
		out = append(out, s)
	}
	return out
}

// store returns a store as the directory has it and the sequence of its
// newest slots message (0: none yet), for a slot write that expects no
// change since; ok is false when the directory cannot vouch for it.
func (d *directory) store(id string) (s domain.Store, seq uint64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, seq = d.stores[id], d.slotSeqs[id]
	return s, seq, s.Exists() && !d.unread[id]
}

// location of a store the directory knows.
func (d *directory) location(storeID string) (domain.Location, bool) {
	s, ok := d.index.Get(storeID)
	return s.Location, ok
}
