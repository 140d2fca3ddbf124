package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// logView is the whole event log folded, event by event, with what the
// invariants need: every unit held and released, every reservation's
// state, every store's, and whatever broke an invariant on the way.
type logView struct {
	ends         map[eventstore.Kind]uint64
	products     map[string]*productLog
	holdOf       map[uuid.UUID]string // reservation → product whose unit it holds
	reservations map[uuid.UUID]*domain.Reservation
	// history lists each reservation's messages: sequence, time, events.
	history map[uuid.UUID][]string
	stores  map[string]*domain.Store
	// problems are invariants broken at some message (not only at the end).
	problems []violation
}

type productLog struct {
	p        domain.Product
	holds    map[uuid.UUID]int
	releases map[uuid.UUID]int
}

var errRead = errors.New("read to the end")

// stallAfter is how long a read of the log may go without a message before
// it starts again.
const stallAfter = 15 * time.Second

// readLog reads every stream from its first message to its last as of the
// call, retrying from the start while NATS is failing over.
func readLog(ctx context.Context, es *eventstore.Store) (*logView, error) {
	var last error
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		v, err := readLogOnce(ctx, es)
		if err == nil {
			return v, nil
		}
		last = err
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil, fmt.Errorf("read the log: %w", last)
}

func readLogOnce(ctx context.Context, es *eventstore.Store) (*logView, error) {
	v := &logView{ends: map[eventstore.Kind]uint64{}, products: map[string]*productLog{}, holdOf: map[uuid.UUID]string{},
		reservations: map[uuid.UUID]*domain.Reservation{}, history: map[uuid.UUID][]string{}, stores: map[string]*domain.Store{}}
	for _, k := range eventstore.Kinds() {
		end, err := es.LastSeq(ctx, k)
		if err != nil {
			return nil, err
		}
		v.ends[k] = end
		if end == 0 {
			continue
		}
		// A reader whose consumer was on a server that died may wait
		// for ever: give up when nothing comes for a while, and start
		// again.
		rctx, cancel := context.WithCancel(ctx)
		var progress atomic.Int64
		progress.Store(time.Now().UnixNano())
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-rctx.Done():
					return
				case <-t.C:
					if time.Since(time.Unix(0, progress.Load())) > stallAfter {
						cancel()
						return
					}
				}
			}
		}()
		err = es.Follow(rctx, k, 1, func(m eventstore.Message, _ eventstore.Position) error {
			progress.Store(time.Now().UnixNano())
			if m.Err != nil {
				v.problem("log", "%s message %d does not decode: %v", k.Stream(), m.Seq, m.Err)
			} else {
				v.apply(m)
			}
			if m.Seq >= end {
				return errRead
			}
			return nil
		})
		cancel()
		if !errors.Is(err, errRead) {
			return nil, fmt.Errorf("read %s: %w", k.Stream(), err)
		}
	}
	return v, nil
}

func (v *logView) problem(kind, format string, args ...any) {
	v.problems = append(v.problems, violation{kind: kind, detail: fmt.Sprintf(format, args...)})
}

// apply folds one message, checking the invariants that must hold after
// every message, and that the state it stored is the fold of its events.
func (v *logView) apply(m eventstore.Message) {
	switch m.Kind {
	case eventstore.Products:
		pl := v.products[m.ID]
		if pl == nil {
			pl = &productLog{holds: map[uuid.UUID]int{}, releases: map[uuid.UUID]int{}}
			v.products[m.ID] = pl
		}
		for _, e := range m.Events {
			pl.p = pl.p.Evolve(e)
			switch e := e.(type) {
			case domain.StockReserved:
				pl.holds[e.ReservationID]++
				if other, ok := v.holdOf[e.ReservationID]; ok && other != m.ID {
					v.problem("hold-once", "reservation %s holds a unit of %s and of %s", e.ReservationID, other, m.ID)
				}
				v.holdOf[e.ReservationID] = m.ID
				if pl.holds[e.ReservationID] > 1 {
					v.problem("hold-once", "reservation %s holds %d units of %s (message %d)", e.ReservationID, pl.holds[e.ReservationID], m.ID, m.Seq)
				}
			case domain.StockReleased:
				pl.releases[e.ReservationID]++
				if pl.holds[e.ReservationID] == 0 {
					v.problem("cancel", "unit of %s released for reservation %s, which held none (message %d)", m.ID, e.ReservationID, m.Seq)
				}
				if pl.releases[e.ReservationID] > 1 {
					v.problem("cancel", "reservation %s gave its unit of %s back %d times (message %d)", e.ReservationID, m.ID, pl.releases[e.ReservationID], m.Seq)
				}
			}
		}
		if p := pl.p; p.Stock < 0 || p.Stock+p.Reserved != p.Stocked {
			v.problem("stock", "product %s at message %d: stock %d + reserved %d != stocked %d", m.ID, m.Seq, p.Stock, p.Reserved, p.Stocked)
		}
		v.sameState(m, pl.p, &domain.Product{})
	case eventstore.Reservations, eventstore.Assignments:
		r := v.reservations[uuidOf(m.ID)]
		if r == nil {
			r = &domain.Reservation{}
			v.reservations[uuidOf(m.ID)] = r
		}
		types := make([]string, len(m.Events))
		for i, e := range m.Events {
			*r = r.Evolve(e)
			types[i] = e.EventType()
		}
		id := uuidOf(m.ID)
		v.history[id] = append(v.history[id], fmt.Sprintf("%d %s %s", m.Seq, m.Time.Format("15:04:05.000"), strings.Join(types, "+")))
		if m.Kind == eventstore.Assignments {
			v.sameState(m, r.Assignment, &domain.Assignment{})
		} else {
			// What the api stored of the status and the store is what it
			// saw, which no reader takes: compare the rest.
			stored := &domain.Reservation{}
			if err := m.State(stored); err != nil {
				v.problem("log", "%v", err)
			} else {
				v.sameJSON(m, ownPart(*r), ownPart(*stored))
			}
		}
	case eventstore.Stores, eventstore.Slots:
		st := v.stores[m.ID]
		if st == nil {
			st = &domain.Store{}
			v.stores[m.ID] = st
		}
		for _, e := range m.Events {
			*st = st.Evolve(e)
		}
		if st.Load() > st.Capacity {
			v.problem("capacity", "store %s at message %d holds %d reservations, capacity %d", m.ID, m.Seq, st.Load(), st.Capacity)
		}
		if m.Kind == eventstore.Slots {
			v.sameState(m, st.Slots(), &domain.Slots{})
		} else {
			v.sameState(m, st.Entry(), &domain.Store{})
		}
	}
}

// ownPart is a reservation without what is derived from its assignment.
func ownPart(r domain.Reservation) domain.Reservation {
	r.Status, r.StoreID, r.DistanceKm, r.StoreReleased, r.UpdatedAt, r.Assignment = "", "", 0, false, time.Time{}, domain.Assignment{}
	return r
}

// sameState checks that the state a message stored is the fold of every
// event up to it.
func (v *logView) sameState(m eventstore.Message, folded any, stored any) {
	if err := m.State(stored); err != nil {
		v.problem("log", "%v", err)
		return
	}
	v.sameJSON(m, folded, stored)
}

// sameJSON checks that two states are the same as JSON, as they are stored.
func (v *logView) sameJSON(m eventstore.Message, folded any, stored any) {
	a, _ := json.Marshal(folded)
	b, _ := json.Marshal(stored)
	if string(a) != string(b) {
		v.problem("log", "%s %s at message %d stores state %s, its events fold to %s", m.Kind, m.ID, m.Seq, b, a)
	}
}

func uuidOf(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}
