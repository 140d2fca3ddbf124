package projections_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/projections"
)

var (
	t0    = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	seoul = domain.Location{Lat: 37.5665, Lon: 126.978}
	r1    = uuid.MustParse("00000000-0000-4000-8000-000000000001")
)

// at is n minutes after t0.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func rid(n int) uuid.UUID {
	var u uuid.UUID
	u[6], u[8], u[15] = 0x40, 0x80, byte(n)
	return u
}

func created(p string, stock, n int) domain.Event {
	return domain.ProductCreated{ProductID: p, Name: "Phone " + p, Stock: stock, At: at(n)}
}

func reserved(p string, r uuid.UUID, c string, n int) domain.Event {
	return domain.StockReserved{ProductID: p, ReservationID: r, CustomerID: c, Location: seoul, At: at(n)}
}

func placed(r uuid.UUID, p, c string, n int) domain.Event {
	return domain.ReservationPlaced{ReservationID: r, ProductID: p, CustomerID: c, Location: seoul, At: at(n)}
}

func registered(s string, capacity, n int) domain.Event {
	return domain.StoreRegistered{StoreID: s, Name: "Store " + s, Location: seoul, Capacity: capacity, At: at(n)}
}

// apply folds events into kv, the i-th at sequence i+1, index 0.
func apply(t *testing.T, kv projections.KV, events ...domain.Event) {
	t.Helper()
	for i, e := range events {
		if err := projections.Apply(kv, projections.Event{Seq: uint64(i + 1), Event: e}); err != nil {
			t.Fatalf("Apply %s: %v", e.EventType(), err)
		}
		checkStock(t, kv)
	}
}

// checkStock asserts Stock + Reserved == Stocked for every product.
func checkStock(t *testing.T, kv projections.KV) {
	t.Helper()
	ps, err := projections.Products(kv)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Stock+p.Reserved != p.Stocked || p.Stock < 0 || p.Reserved < 0 {
			t.Fatalf("product %s: stock %d + reserved %d != stocked %d", p.ID, p.Stock, p.Reserved, p.Stocked)
		}
	}
}

func TestApplyViews(t *testing.T) {
	product := func(stock, reserved, stocked int) *domain.Product {
		return &domain.Product{ID: "p1", Name: "Phone p1", Stock: stock, Reserved: reserved, Stocked: stocked}
	}
	store := func(f func(*domain.Store)) *domain.Store {
		s := domain.Store{ID: "s1", Name: "Store s1", Location: seoul, Capacity: 2}
		if f != nil {
			f(&s)
		}
		return &s
	}
	resv := func(f func(*domain.Reservation)) *domain.Reservation {
		r := domain.Reservation{ID: r1, ProductID: "p1", CustomerID: "c1", Location: seoul,
			Status: domain.StatusPlaced, CreatedAt: at(2), UpdatedAt: at(2)}
		if f != nil {
			f(&r)
		}
		return &r
	}
	place := []domain.Event{created("p1", 5, 0), reserved("p1", r1, "c1", 1), placed(r1, "p1", "c1", 2)}
	accept := append(slices.Clip(place), registered("s1", 2, 3),
		domain.StoreSlotTaken{StoreID: "s1", ReservationID: r1, At: at(4)},
		domain.ReservationAccepted{ReservationID: r1, StoreID: "s1", DistanceKm: 1.5, At: at(5)})
	accepted := func(r *domain.Reservation) {
		r.Status, r.StoreID, r.DistanceKm, r.UpdatedAt = domain.StatusAccepted, "s1", 1.5, at(5)
	}
	holding := func(s *domain.Store) { s.Holding = []uuid.UUID{r1} }

	tests := []struct {
		name        string
		events      []domain.Event
		product     *domain.Product     // view of p1; nil: none
		store       *domain.Store       // view of s1; nil: none
		reservation *domain.Reservation // view of r1; nil: none
		history     []string            // event types of r1's history
		storeHolds  []uuid.UUID         // StoreReservations of s1
	}{
		{name: "ProductCreated", events: []domain.Event{created("p1", 5, 0)}, product: product(5, 0, 5)},
		{name: "ProductRestocked", events: []domain.Event{created("p1", 5, 0),
			domain.ProductRestocked{ProductID: "p1", Quantity: 3, At: at(1)}}, product: product(8, 0, 8)},
		{name: "StockReserved", events: place[:2], product: product(4, 1, 5)},
		{name: "StockReleased", events: append(slices.Clip(place[:2]),
			domain.StockReleased{ProductID: "p1", ReservationID: r1, At: at(2)}), product: product(5, 0, 5)},
		{name: "StoreRegistered", events: []domain.Event{registered("s1", 2, 0)}, store: store(nil), storeHolds: []uuid.UUID{}},
		{name: "StorePaused", events: []domain.Event{registered("s1", 2, 0), domain.StorePaused{StoreID: "s1", At: at(1)}},
			store: store(func(s *domain.Store) { s.Paused = true }), storeHolds: []uuid.UUID{}},
		{name: "StoreResumed", events: []domain.Event{registered("s1", 2, 0), domain.StorePaused{StoreID: "s1", At: at(1)},
			domain.StoreResumed{StoreID: "s1", At: at(2)}}, store: store(nil), storeHolds: []uuid.UUID{}},
		// The store holds a reservation the read model has no view of:
		// StoreReservations leaves it out.
		{name: "StoreSlotTaken", events: []domain.Event{registered("s1", 2, 0),
			domain.StoreSlotTaken{StoreID: "s1", ReservationID: r1, At: at(1)}}, store: store(holding), storeHolds: []uuid.UUID{}},
		{name: "StoreSlotReleased", events: []domain.Event{registered("s1", 2, 0),
			domain.StoreSlotTaken{StoreID: "s1", ReservationID: r1, At: at(1)},
			domain.StoreSlotReleased{StoreID: "s1", ReservationID: r1, At: at(2)}}, store: store(nil), storeHolds: []uuid.UUID{}},
		{name: "PLACED", events: place, product: product(4, 1, 5), reservation: resv(nil), history: []string{"ReservationPlaced"}},
		{name: "ACCEPTED", events: accept, product: product(4, 1, 5), store: store(holding),
			reservation: resv(accepted), history: []string{"ReservationPlaced", "ReservationAccepted"}, storeHolds: []uuid.UUID{r1}},
		{name: "PLACED again after ReservationRejected", events: append(slices.Clip(accept),
			domain.StoreSlotReleased{StoreID: "s1", ReservationID: r1, At: at(6)},
			domain.ReservationRejected{ReservationID: r1, StoreID: "s1", Reason: "no staff", At: at(7)}),
			product: product(4, 1, 5), store: store(nil),
			reservation: resv(func(r *domain.Reservation) { r.RejectedBy, r.UpdatedAt = []string{"s1"}, at(7) }),
			history:     []string{"ReservationPlaced", "ReservationAccepted", "ReservationRejected"}, storeHolds: []uuid.UUID{}},
		{name: "CANCELLING", events: append(slices.Clip(accept), domain.CancelRequested{ReservationID: r1, ProductSeq: 2, At: at(6)}),
			product: product(4, 1, 5), store: store(holding),
			reservation: resv(func(r *domain.Reservation) {
				accepted(r)
				r.Status, r.CancelProductSeq, r.UpdatedAt = domain.StatusCancelling, 2, at(6)
			}),
			history: []string{"ReservationPlaced", "ReservationAccepted", "CancelRequested"}, storeHolds: []uuid.UUID{r1}},
		{name: "CANCELLED", events: append(slices.Clip(accept), domain.CancelRequested{ReservationID: r1, ProductSeq: 2, At: at(6)},
			domain.StockReleased{ProductID: "p1", ReservationID: r1, At: at(7)},
			domain.StockRestored{ReservationID: r1, At: at(8)},
			domain.StoreSlotReleased{StoreID: "s1", ReservationID: r1, At: at(9)},
			domain.StoreReleased{ReservationID: r1, StoreID: "s1", At: at(10)}),
			product: product(5, 0, 5), store: store(nil),
			reservation: resv(func(r *domain.Reservation) {
				r.Status, r.CancelProductSeq, r.UpdatedAt = domain.StatusCancelled, 2, at(10)
				r.StockRestored, r.StoreReleased = true, true
			}),
			history:    []string{"ReservationPlaced", "ReservationAccepted", "CancelRequested", "StockRestored", "StoreReleased"},
			storeHolds: []uuid.UUID{}},
		{name: "CANCELLED with no store", events: append(slices.Clip(place), domain.CancelRequested{ReservationID: r1, ProductSeq: 2, At: at(3)},
			domain.StockReleased{ProductID: "p1", ReservationID: r1, At: at(4)},
			domain.StockRestored{ReservationID: r1, At: at(5)}),
			product: product(5, 0, 5),
			reservation: resv(func(r *domain.Reservation) {
				r.Status, r.CancelProductSeq, r.UpdatedAt = domain.StatusCancelled, 2, at(5)
				r.StockRestored, r.StoreReleased = true, true
			}),
			history: []string{"ReservationPlaced", "CancelRequested", "StockRestored"}},
		{name: "FULFILLED", events: append(slices.Clip(accept), domain.ReservationFulfilled{ReservationID: r1, Method: domain.StoreVisit, At: at(6)}),
			product: product(4, 1, 5), store: store(holding),
			reservation: resv(func(r *domain.Reservation) { accepted(r); r.Status, r.UpdatedAt = domain.StatusFulfilled, at(6) }),
			history:     []string{"ReservationPlaced", "ReservationAccepted", "ReservationFulfilled"}, storeHolds: []uuid.UUID{r1}},
	}
	covered := map[string]bool{}
	statuses := map[domain.Status]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := newMemKV()
			apply(t, kv, tt.events...)
			for _, e := range tt.events {
				covered[e.EventType()] = true
			}
			checkView(t, "product", tt.product, func() (domain.Product, bool, error) { return projections.Product(kv, "p1") })
			checkView(t, "store", tt.store, func() (domain.Store, bool, error) { return projections.Store(kv, "s1") })
			checkView(t, "reservation", tt.reservation, func() (domain.Reservation, bool, error) { return projections.Reservation(kv, r1.String()) })
			if tt.reservation != nil {
				statuses[tt.reservation.Status] = true
			}

			var wantHistory []projections.HistoryEntry
			for i, e := range tt.events {
				if e.AggregateID() == r1.String() {
					data, _ := json.Marshal(e)
					wantHistory = append(wantHistory, projections.HistoryEntry{Type: e.EventType(), At: e.OccurredAt(), Seq: uint64(i + 1), Data: data})
				}
			}
			history, ok, err := projections.History(kv, r1.String())
			if err != nil || ok != (tt.history != nil) {
				t.Fatalf("History: ok %v, err %v", ok, err)
			}
			checkHistory(t, history, wantHistory, tt.history)

			holds, ok, err := projections.StoreReservations(kv, "s1")
			if err != nil || ok != (tt.store != nil) {
				t.Fatalf("StoreReservations: ok %v, err %v", ok, err)
			}
			if got := ids(holds); !slices.Equal(got, tt.storeHolds) {
				t.Errorf("StoreReservations = %v, want %v", got, tt.storeHolds)
			}

			mine, err := projections.CustomerReservations(kv, "c1", 10)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.reservation; (want == nil) != (len(mine) == 0) || (want != nil && !reflect.DeepEqual(shown(mine[0]), shown(*want))) {
				t.Errorf("CustomerReservations = %+v, want %+v", mine, want)
			}
		})
	}
	for _, typ := range domain.EventTypes() {
		if !covered[typ] {
			t.Errorf("no case applies %s", typ)
		}
	}
	for _, s := range []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusCancelling, domain.StatusCancelled, domain.StatusFulfilled} {
		if !statuses[s] {
			t.Errorf("no case ends in status %s", s)
		}
	}
}

func checkView[T any](t *testing.T, what string, want *T, get func() (T, bool, error)) {
	t.Helper()
	got, ok, err := get()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if ok != (want != nil) {
		t.Fatalf("%s exists = %v, want %v", what, ok, want != nil)
	}
	if want != nil && !reflect.DeepEqual(shown(got), shown(*want)) {
		t.Errorf("%s =\n %+v\nwant\n %+v", what, got, *want)
	}
}

// shown is a view as a reader sees it: a reservation without the parts
// its status and store are derived from.
func shown(v any) any {
	if r, ok := v.(domain.Reservation); ok {
		r.CancelRequested, r.FulfilledBy, r.Assignment = false, "", domain.Assignment{}
		return r
	}
	return v
}

func checkHistory(t *testing.T, got, want []projections.HistoryEntry, types []string) {
	t.Helper()
	if len(got) != len(types) || len(want) != len(types) {
		t.Fatalf("history has %d entries, want %d (%v)", len(got), len(types), types)
	}
	for i, h := range got {
		w := want[i]
		if h.Type != types[i] || h.Type != w.Type || h.Seq != w.Seq || !h.At.Equal(w.At) || !jsonEqual(h.Data, w.Data) {
			t.Errorf("history[%d] = %s seq %d at %s %s, want %s seq %d at %s %s", i, h.Type, h.Seq, h.At, h.Data, w.Type, w.Seq, w.At, w.Data)
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y bytes.Buffer
	return json.Compact(&x, a) == nil && json.Compact(&y, b) == nil && bytes.Equal(x.Bytes(), y.Bytes())
}

func ids(rs []domain.Reservation) []uuid.UUID {
	out := []uuid.UUID{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestHistoryKeepsSeqAndIndexOrder(t *testing.T) {
	kv := newMemKV()
	// Applied out of order; several events share message 300, one of them
	// at an index past 255 so a byte order mistake would show.
	evs := []projections.Event{
		{Seq: 300, Index: 256, Event: domain.StockRestored{ReservationID: r1, At: at(5)}},
		{Seq: 7, Index: 0, Event: placed(r1, "p1", "c1", 1)},
		{Seq: 300, Index: 2, Event: domain.CancelRequested{ReservationID: r1, ProductSeq: 4, At: at(4)}},
		{Seq: 300, Index: 1, Event: domain.ReservationAccepted{ReservationID: r1, StoreID: "s1", At: at(3)}},
		{Seq: 9, Index: 0, Event: placed(rid(2), "p1", "c1", 2)},
	}
	for _, e := range evs {
		if err := projections.Apply(kv, e); err != nil {
			t.Fatal(err)
		}
	}
	h, ok, err := projections.History(kv, r1.String())
	if err != nil || !ok {
		t.Fatalf("History: ok %v, err %v", ok, err)
	}
	var got []string
	for _, e := range h {
		got = append(got, fmt.Sprintf("%s@%d", e.Type, e.Seq))
	}
	want := []string{"ReservationPlaced@7", "ReservationAccepted@300", "CancelRequested@300", "StockRestored@300"}
	if !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if _, ok, _ := projections.History(kv, uuid.NewString()); ok {
		t.Error("History of an unknown reservation exists")
	}
}

func TestCustomerReservationsNewestFirst(t *testing.T) {
	kv := newMemKV()
	// Placed at minutes 3, 1, 2, 5 for c1; others for customers whose ids
	// share c1's prefix.
	apply(t, kv,
		placed(rid(1), "p1", "c1", 3), placed(rid(2), "p1", "c1", 1), placed(rid(3), "p1", "c1", 2),
		placed(rid(4), "p1", "c1-2", 4), placed(rid(5), "p1", "c", 6), placed(rid(6), "p1", "c1", 5),
		domain.ReservationAccepted{ReservationID: rid(2), StoreID: "s1", At: at(7)})
	newest := []uuid.UUID{rid(6), rid(1), rid(3), rid(2)}
	tests := []struct {
		name     string
		customer string
		limit    int
		want     []uuid.UUID
	}{
		{name: "all", customer: "c1", limit: 10, want: newest},
		{name: "exactly all", customer: "c1", limit: 4, want: newest},
		{name: "limit 1", customer: "c1", limit: 1, want: newest[:1]},
		{name: "limit 3", customer: "c1", limit: 3, want: newest[:3]},
		{name: "limit 0", customer: "c1", limit: 0, want: []uuid.UUID{}},
		{name: "longer id", customer: "c1-2", limit: 10, want: []uuid.UUID{rid(4)}},
		{name: "shorter id", customer: "c", limit: 10, want: []uuid.UUID{rid(5)}},
		{name: "unknown", customer: "nobody", limit: 10, want: []uuid.UUID{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := projections.CustomerReservations(kv, tt.customer, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("CustomerReservations(%s, %d) = %v, want %v", tt.customer, tt.limit, ids(got), tt.want)
			}
		})
	}
	// The index names reservations; their views are current.
	got, _ := projections.CustomerReservations(kv, "c1", 10)
	if s := got[3].Status; s != domain.StatusAccepted {
		t.Errorf("oldest reservation has status %s, want %s", s, domain.StatusAccepted)
	}
}

// otherEvent is an event no view takes.
type otherEvent struct{}

func (otherEvent) EventType() string     { return "SomethingElse" }
func (otherEvent) AggregateID() string   { return "x" }
func (otherEvent) OccurredAt() time.Time { return t0 }

func TestApplyUnsupportedEvent(t *testing.T) {
	pc := domain.ProductCreated{ProductID: "p1", Name: "Phone", Stock: 1, At: t0}
	tests := []struct {
		name  string
		event domain.Event
	}{
		{name: "unknown type", event: otherEvent{}},
		{name: "pointer to a known type", event: &pc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := newMemKV()
			if err := projections.Apply(kv, projections.Event{Seq: 1, Event: tt.event}); err == nil {
				t.Fatal("Apply succeeded")
			}
			for b, keys := range kv.buckets {
				if len(keys) > 0 {
					t.Errorf("bucket %s written: %d keys", b, len(keys))
				}
			}
		})
	}
}

func TestProductsAndStoresByID(t *testing.T) {
	kv := newMemKV()
	apply(t, kv, created("p3", 1, 0), created("p1", 2, 1), created("p2", 3, 2),
		registered("s2", 1, 3), registered("s1", 1, 4))
	ps, err := projections.Products(kv)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.ID)
	}
	ss, err := projections.Stores(kv)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		got = append(got, s.ID)
	}
	if want := []string{"p1", "p2", "p3", "s1", "s2"}; !slices.Equal(got, want) {
		t.Errorf("Products, Stores = %v, want %v", got, want)
	}
	empty := newMemKV()
	if ps, _ := projections.Products(empty); ps == nil || len(ps) != 0 {
		t.Errorf("Products of nothing = %#v, want empty", ps)
	}
}
