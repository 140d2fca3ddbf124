package domain_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

// store returns gangnam-01 with the given capacity, holding the given
// reservations.
func store(capacity int, paused bool, holding ...uuid.UUID) domain.Store {
	return domain.Store{ID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: capacity, Paused: paused, Holding: holding}
}

// sameStore reports whether a and b are equal, a nil and an empty Holding
// alike (both mean the store holds nothing).
func sameStore(a, b domain.Store) bool {
	if !slices.Equal(a.Holding, b.Holding) {
		return false
	}
	return a.ID == b.ID && a.Name == b.Name && a.Location == b.Location && a.Capacity == b.Capacity && a.Paused == b.Paused
}

func TestStoreDecide(t *testing.T) {
	var none domain.Store
	open := store(2, false)
	holding := store(2, false, resA)
	full := store(2, false, resA, resB)
	paused := store(2, true)
	pausedHolding := store(2, true, resA)
	closed := store(0, false)
	register := domain.RegisterStore{ID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: 2}
	withRegister := func(f func(*domain.RegisterStore)) domain.RegisterStore { c := register; f(&c); return c }
	registered := func(capacity int) domain.Event {
		return domain.StoreRegistered{StoreID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: capacity, At: now}
	}
	taken := func(id uuid.UUID) []domain.Event {
		return evs(domain.StoreSlotTaken{StoreID: "gangnam-01", ReservationID: id, At: now})
	}
	released := func(id uuid.UUID) []domain.Event {
		return evs(domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: id, At: now})
	}

	runDecide(t, []decideCase[domain.Store]{
		// RegisterStore
		{"register", none, register, evs(registered(2)), nil},
		{"register with no capacity", none, withRegister(func(c *domain.RegisterStore) { c.Capacity = 0 }), evs(registered(0)), nil},
		{"register with MaxCapacity", none, withRegister(func(c *domain.RegisterStore) { c.Capacity = domain.MaxCapacity }),
			evs(registered(domain.MaxCapacity)), nil},
		{"register twice", open, register, nil, domain.ErrAlreadyExists},
		{"register twice while paused", paused, register, nil, domain.ErrAlreadyExists},
		{"register with no id", none, withRegister(func(c *domain.RegisterStore) { c.ID = "" }), nil, domain.ErrInvalid},
		{"register with bad id", none, withRegister(func(c *domain.RegisterStore) { c.ID = "gangnam.>" }), nil, domain.ErrInvalid},
		{"register with over-long id", none, withRegister(func(c *domain.RegisterStore) { c.ID = strings.Repeat("s", 65) }), nil, domain.ErrInvalid},
		{"register with no name", none, withRegister(func(c *domain.RegisterStore) { c.Name = "" }), nil, domain.ErrInvalid},
		{"register with over-long name", none, withRegister(func(c *domain.RegisterStore) { c.Name = strings.Repeat("점", 201) }), nil, domain.ErrInvalid},
		{"register with control character", none, withRegister(func(c *domain.RegisterStore) { c.Name = "강남\x00역점" }), nil, domain.ErrInvalid},
		{"register with invalid UTF-8", none, withRegister(func(c *domain.RegisterStore) { c.Name = "강남\xed\xa0\x80" }), nil, domain.ErrInvalid},
		{"register with NaN lat", none, withRegister(func(c *domain.RegisterStore) { c.Location.Lat = math.NaN() }), nil, domain.ErrInvalid},
		{"register with NaN lon", none, withRegister(func(c *domain.RegisterStore) { c.Location.Lon = math.NaN() }), nil, domain.ErrInvalid},
		{"register with -Inf lat", none, withRegister(func(c *domain.RegisterStore) { c.Location.Lat = math.Inf(-1) }), nil, domain.ErrInvalid},
		{"register with lon out of range", none, withRegister(func(c *domain.RegisterStore) { c.Location.Lon = 360 }), nil, domain.ErrInvalid},
		{"register with negative capacity", none, withRegister(func(c *domain.RegisterStore) { c.Capacity = -1 }), nil, domain.ErrInvalid},
		{"register with capacity over MaxCapacity", none, withRegister(func(c *domain.RegisterStore) { c.Capacity = domain.MaxCapacity + 1 }), nil, domain.ErrInvalid},
		{"register with huge capacity", none, withRegister(func(c *domain.RegisterStore) { c.Capacity = math.MaxInt }), nil, domain.ErrInvalid},
		{"register invalid is checked before existence", open, withRegister(func(c *domain.RegisterStore) { c.Capacity = -1 }), nil, domain.ErrInvalid},

		// PauseStore
		{"pause", open, domain.PauseStore{}, evs(domain.StorePaused{StoreID: "gangnam-01", At: now}), nil},
		{"pause full", full, domain.PauseStore{}, evs(domain.StorePaused{StoreID: "gangnam-01", At: now}), nil},
		{"pause paused", paused, domain.PauseStore{}, nil, nil},
		{"pause missing store", none, domain.PauseStore{}, nil, domain.ErrNotFound},

		// ResumeStore
		{"resume", paused, domain.ResumeStore{}, evs(domain.StoreResumed{StoreID: "gangnam-01", At: now}), nil},
		{"resume holding", pausedHolding, domain.ResumeStore{}, evs(domain.StoreResumed{StoreID: "gangnam-01", At: now}), nil},
		{"resume open", open, domain.ResumeStore{}, nil, nil},
		{"resume missing store", none, domain.ResumeStore{}, nil, domain.ErrNotFound},

		// TakeSlot
		{"take", open, domain.TakeSlot{ReservationID: resA}, taken(resA), nil},
		{"take for no reservation", open, domain.TakeSlot{}, nil, domain.ErrInvalid},
		{"release for no reservation", holding, domain.ReleaseSlot{}, nil, domain.ErrInvalid},
		{"take the last slot", holding, domain.TakeSlot{ReservationID: resB}, taken(resB), nil},
		{"take held again", holding, domain.TakeSlot{ReservationID: resA}, nil, nil},
		{"take held again when full", full, domain.TakeSlot{ReservationID: resB}, nil, nil},
		{"take held again when paused", pausedHolding, domain.TakeSlot{ReservationID: resA}, nil, nil},
		{"take when full", full, domain.TakeSlot{ReservationID: resC}, nil, domain.ErrInvalidTransition},
		{"take when paused", paused, domain.TakeSlot{ReservationID: resA}, nil, domain.ErrInvalidTransition},
		{"take when paused and holding", pausedHolding, domain.TakeSlot{ReservationID: resB}, nil, domain.ErrInvalidTransition},
		{"take with no capacity", closed, domain.TakeSlot{ReservationID: resA}, nil, domain.ErrInvalidTransition},
		{"take at missing store", none, domain.TakeSlot{ReservationID: resA}, nil, domain.ErrNotFound},

		// ReleaseSlot
		{"release", holding, domain.ReleaseSlot{ReservationID: resA}, released(resA), nil},
		{"release when full", full, domain.ReleaseSlot{ReservationID: resA}, released(resA), nil},
		{"release when paused", pausedHolding, domain.ReleaseSlot{ReservationID: resA}, released(resA), nil},
		{"release not held", holding, domain.ReleaseSlot{ReservationID: resB}, nil, nil},
		{"release at empty store", open, domain.ReleaseSlot{ReservationID: resA}, nil, nil},
		{"release at missing store", none, domain.ReleaseSlot{ReservationID: resA}, nil, domain.ErrNotFound},

		// Commands of other aggregates, and pointers to commands.
		{"product command", open, domain.Restock{Quantity: 1}, nil, domain.ErrInvalid},
		{"reservation command", open, domain.Reject{StoreID: "gangnam-01"}, nil, domain.ErrInvalid},
		{"pointer to command", open, &domain.PauseStore{}, nil, domain.ErrInvalid},
	})
}

func TestStoreEvolve(t *testing.T) {
	tests := []struct {
		name  string
		state domain.Store
		event domain.Event
		want  domain.Store
	}{
		{"registered", domain.Store{},
			domain.StoreRegistered{StoreID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: 2, At: t0}, store(2, false)},
		{"paused", store(2, false, resA), domain.StorePaused{StoreID: "gangnam-01", At: now}, store(2, true, resA)},
		{"resumed", store(2, true, resA), domain.StoreResumed{StoreID: "gangnam-01", At: now}, store(2, false, resA)},
		{"slot taken", store(2, false), domain.StoreSlotTaken{StoreID: "gangnam-01", ReservationID: resA, At: now}, store(2, false, resA)},
		{"slot taken keeps order", store(3, false, resB, resA),
			domain.StoreSlotTaken{StoreID: "gangnam-01", ReservationID: resC, At: now}, store(3, false, resB, resA, resC)},
		{"slot released", store(2, false, resA), domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: resA, At: now}, store(2, false)},
		{"middle slot released", store(3, false, resA, resB, resC),
			domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: resB, At: now}, store(3, false, resA, resC)},
		{"slot not held released", store(2, false, resA),
			domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: resB, At: now}, store(2, false, resA)},
		{"event of a product", store(2, false, resA), domain.StockReserved{ProductID: productID, ReservationID: resB, At: now}, store(2, false, resA)},
		{"event of a reservation", store(2, false, resA), domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now}, store(2, false, resA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.Evolve(tt.event); !sameStore(got, tt.want) {
				t.Fatalf("Evolve(%#v)\n got %+v\nwant %+v", tt.event, got, tt.want)
			}
		})
	}
}

// TestStoreEvolveDoesNotAlias checks that evolving one state twice, as two
// readers of the same snapshot may, gives two independent states.
func TestStoreEvolveDoesNotAlias(t *testing.T) {
	s := store(3, false)
	s.Holding = make([]uuid.UUID, 2, 8)
	s.Holding[0], s.Holding[1] = resA, resB

	a := s.Evolve(domain.StoreSlotTaken{StoreID: "gangnam-01", ReservationID: resC, At: now})
	b := s.Evolve(domain.StoreSlotTaken{StoreID: "gangnam-01", ReservationID: uuid.Max, At: now})
	if !slices.Equal(a.Holding, []uuid.UUID{resA, resB, resC}) {
		t.Fatalf("first taken: holding %v, want [%v %v %v]", a.Holding, resA, resB, resC)
	}
	c := s.Evolve(domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: resA, At: now})
	if !slices.Equal(s.Holding, []uuid.UUID{resA, resB}) {
		t.Fatalf("releasing from a copy changed the original to %v", s.Holding)
	}
	if !slices.Equal(b.Holding, []uuid.UUID{resA, resB, uuid.Max}) || !slices.Equal(c.Holding, []uuid.UUID{resB}) {
		t.Fatalf("holdings %v and %v, want [%v %v %v] and [%v]", b.Holding, c.Holding, resA, resB, uuid.Max, resB)
	}
}

// TestStoreLifeCycle folds what Decide returns over a scripted life and
// checks that the store never holds more than its capacity.
func TestStoreLifeCycle(t *testing.T) {
	resD := uuid.MustParse("e2b7c4a1-96d3-4f0e-8b5a-13c6d9f2e074")
	script := []struct {
		cmd     any
		wantErr error
		want    domain.Store // state after the step
	}{
		{domain.TakeSlot{ReservationID: resA}, domain.ErrNotFound, domain.Store{}},
		{domain.RegisterStore{ID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: 2}, nil, store(2, false)},
		{domain.RegisterStore{ID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: 9}, domain.ErrAlreadyExists, store(2, false)},
		{domain.TakeSlot{ReservationID: resA}, nil, store(2, false, resA)},
		{domain.TakeSlot{ReservationID: resA}, nil, store(2, false, resA)},
		{domain.TakeSlot{ReservationID: resB}, nil, store(2, false, resA, resB)},
		{domain.TakeSlot{ReservationID: resC}, domain.ErrInvalidTransition, store(2, false, resA, resB)},
		{domain.ReleaseSlot{ReservationID: resA}, nil, store(2, false, resB)},
		{domain.ReleaseSlot{ReservationID: resA}, nil, store(2, false, resB)},
		{domain.TakeSlot{ReservationID: resC}, nil, store(2, false, resB, resC)},
		{domain.PauseStore{}, nil, store(2, true, resB, resC)},
		{domain.PauseStore{}, nil, store(2, true, resB, resC)},
		{domain.ReleaseSlot{ReservationID: resB}, nil, store(2, true, resC)},
		{domain.TakeSlot{ReservationID: resD}, domain.ErrInvalidTransition, store(2, true, resC)},
		{domain.TakeSlot{ReservationID: resC}, nil, store(2, true, resC)},
		{domain.ResumeStore{}, nil, store(2, false, resC)},
		{domain.ResumeStore{}, nil, store(2, false, resC)},
		{domain.TakeSlot{ReservationID: resD}, nil, store(2, false, resC, resD)},
		{domain.ReleaseSlot{ReservationID: resC}, nil, store(2, false, resD)},
		{domain.ReleaseSlot{ReservationID: resD}, nil, store(2, false)},
	}

	var s domain.Store
	var log []domain.Event
	for i, st := range script {
		var events []domain.Event
		if st.wantErr != nil {
			refuse(t, s, st.cmd, st.wantErr)
		} else {
			s, events = step(t, s, st.cmd)
		}
		if s.Load() > s.Capacity || s.Free() != s.Capacity-s.Load() {
			t.Fatalf("step %d: load %d, free %d of capacity %d", i, s.Load(), s.Free(), s.Capacity)
		}
		if !sameStore(s, st.want) {
			t.Fatalf("step %d: %#v left %+v, want %+v", i, st.cmd, s, st.want)
		}
		log = append(log, events...)
	}
	if got := fold(domain.Store{}, log...); !sameStore(got, s) {
		t.Fatalf("refolding the log gives %+v, want %+v", got, s)
	}
	if n := len(log); n != 11 {
		t.Errorf("the script caused %d events, want 11 (retries cause none)", n)
	}
}
