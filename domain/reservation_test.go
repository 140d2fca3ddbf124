package domain_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
)

// The states of reservation resA that the tables below start from, each
// folded from the events that lead to it, as every reader folds them.
var (
	placed = fold(domain.Reservation{}, domain.ReservationPlaced{ReservationID: resA, ProductID: productID,
		CustomerID: customerID, Location: gangnam, At: t0})
	accepted       = fold(placed, domain.ReservationAccepted{ReservationID: resA, StoreID: "gangnam-01", DistanceKm: 0.42, At: t0})
	rejectedBefore = fold(accepted, domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", At: t0})
	// cancellingPlaced was cancelled before any store took it.
	cancellingPlaced   = fold(placed, domain.CancelRequested{ReservationID: resA, ProductSeq: 42, At: t0})
	cancellingAccepted = fold(accepted, domain.CancelRequested{ReservationID: resA, ProductSeq: 42, At: t0})
	cancellingRestored = fold(cancellingAccepted, domain.StockRestored{ReservationID: resA, At: t0})
	cancellingReleased = fold(cancellingAccepted, domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: t0})
	cancelled          = fold(cancellingRestored, domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: t0})
	fulfilled          = fold(accepted, domain.ReservationFulfilled{ReservationID: resA, Method: domain.Delivery, StoreID: "gangnam-01", At: t0})
)

func TestReservationDecide(t *testing.T) {
	var none domain.Reservation
	hold := domain.StockReserved{ProductID: productID, ReservationID: resA, CustomerID: customerID, Location: gangnam, At: t0}
	accept := domain.Accept{StoreID: "gangnam-01", DistanceKm: 0.42}
	reject := domain.Reject{StoreID: "gangnam-01", Reason: "재고 부족"}
	acceptedBy := func(store string, km float64) []domain.Event {
		return evs(domain.ReservationAccepted{ReservationID: resA, StoreID: store, DistanceKm: km, At: now})
	}
	acceptedAfterRejection := func(store string, km float64) []domain.Event {
		return evs(domain.ReservationAccepted{ReservationID: resA, StoreID: store, DistanceKm: km, Round: 1, At: now})
	}
	cancelRequested := evs(domain.CancelRequested{ReservationID: resA, ProductSeq: 42, At: now})
	fulfilledBy := func(m domain.FulfilMethod) []domain.Event {
		return evs(domain.ReservationFulfilled{ReservationID: resA, Method: m, StoreID: "gangnam-01", At: now})
	}
	restored := evs(domain.StockRestored{ReservationID: resA, At: now})
	released := evs(domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now})
	all := []struct {
		name  string
		state domain.Reservation
	}{
		{"placed", placed}, {"accepted", accepted}, {"cancelling", cancellingAccepted},
		{"cancelled", cancelled}, {"fulfilled", fulfilled},
	}

	tests := []decideCase[domain.Reservation]{
		// Place records the hold as it is, at the time of the hold.
		{"place", none, domain.Place{Hold: hold}, evs(domain.ReservationPlaced{ReservationID: resA,
			ProductID: productID, CustomerID: customerID, Location: gangnam, At: t0}), nil},
		{"place again", placed, domain.Place{Hold: hold}, nil, nil},
		{"place again after cancel", cancelled, domain.Place{Hold: hold}, nil, nil},

		// Accept
		{"accept placed", placed, accept, acceptedBy("gangnam-01", 0.42), nil},
		{"accept placed at zero distance", placed, domain.Accept{StoreID: "gangnam-01"}, acceptedBy("gangnam-01", 0), nil},
		{"accept by another store after a rejection", rejectedBefore, domain.Accept{StoreID: "yeoksam-02", DistanceKm: 1.1},
			acceptedAfterRejection("yeoksam-02", 1.1), nil},
		{"accept by the store that rejected it", rejectedBefore, accept, nil, domain.ErrInvalidTransition},
		{"accept with no store", placed, domain.Accept{}, nil, domain.ErrInvalid},
		{"accept with bad store id", placed, domain.Accept{StoreID: "gangnam 01"}, nil, domain.ErrInvalid},
		{"accept with over-long store id", placed, domain.Accept{StoreID: strings.Repeat("s", 65)}, nil, domain.ErrInvalid},
		{"accept cancelling placed", cancellingPlaced, accept, nil, domain.ErrInvalidTransition},
		{"accept missing", none, accept, nil, domain.ErrNotFound},

		// Reject
		{"reject by holding store", accepted, reject,
			evs(domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", Reason: "재고 부족", At: now}), nil},
		{"reject with no reason", accepted, domain.Reject{StoreID: "gangnam-01"},
			evs(domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", At: now}), nil},
		{"reject with MaxReasonLen reason", accepted, domain.Reject{StoreID: "gangnam-01", Reason: strings.Repeat("a", domain.MaxReasonLen)},
			evs(domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", Reason: strings.Repeat("a", domain.MaxReasonLen), At: now}), nil},
		{"reject by a store that does not hold it", accepted, domain.Reject{StoreID: "yeoksam-02"}, nil, domain.ErrInvalidTransition},
		{"reject with over-long reason", accepted, domain.Reject{StoreID: "gangnam-01", Reason: strings.Repeat("a", domain.MaxReasonLen+1)},
			nil, domain.ErrInvalid},
		{"reject with over-long hangul reason", accepted, domain.Reject{StoreID: "gangnam-01", Reason: strings.Repeat("재", 167)},
			nil, domain.ErrInvalid},
		{"reject with no store", accepted, domain.Reject{}, nil, domain.ErrInvalid},
		{"reject with bad store id", accepted, domain.Reject{StoreID: "gangnam-01>"}, nil, domain.ErrInvalid},
		{"reject cancelling placed", cancellingPlaced, reject, nil, domain.ErrInvalidTransition},
		{"reject missing", none, reject, nil, domain.ErrNotFound},

		// Cancel
		{"cancel placed", placed, domain.Cancel{ProductSeq: 42}, cancelRequested, nil},
		{"cancel accepted", accepted, domain.Cancel{ProductSeq: 42}, cancelRequested, nil},
		{"cancel cancelling placed", cancellingPlaced, domain.Cancel{ProductSeq: 43}, nil, nil},
		{"cancel cancelling with stock restored", cancellingRestored, domain.Cancel{ProductSeq: 43}, nil, nil},
		{"cancel missing", none, domain.Cancel{}, nil, domain.ErrNotFound},

		// RecordStockRestored
		{"restore stock", cancellingAccepted, domain.RecordStockRestored{}, restored, nil},
		{"restore stock of cancelling placed", cancellingPlaced, domain.RecordStockRestored{}, restored, nil},
		{"restore stock after store released", cancellingReleased, domain.RecordStockRestored{}, restored, nil},
		{"restore stock again", cancellingRestored, domain.RecordStockRestored{}, nil, nil},
		{"restore stock of cancelled, a late retry", cancelled, domain.RecordStockRestored{}, nil, nil},
		{"restore stock of missing", none, domain.RecordStockRestored{}, nil, domain.ErrNotFound},

		// RecordStoreReleased
		{"release store", cancellingAccepted, domain.RecordStoreReleased{}, released, nil},
		{"release store after stock restored", cancellingRestored, domain.RecordStoreReleased{}, released, nil},
		{"release store again", cancellingReleased, domain.RecordStoreReleased{}, nil, nil},
		{"release store of cancelled, a late retry", cancelled, domain.RecordStoreReleased{}, nil, nil},
		{"release store of cancelling placed", cancellingPlaced, domain.RecordStoreReleased{}, nil, nil},
		{"release store of missing", none, domain.RecordStoreReleased{}, nil, domain.ErrNotFound},

		// Input is checked before the status, and nothing unstorable passes.
		{"accept at NaN distance", placed, domain.Accept{StoreID: "gangnam-01", DistanceKm: math.NaN()}, nil, domain.ErrInvalid},
		{"accept at negative distance", placed, domain.Accept{StoreID: "gangnam-01", DistanceKm: -1}, nil, domain.ErrInvalid},
		{"accept accepted with no store", accepted, domain.Accept{}, nil, domain.ErrInvalid},
		{"place zero hold", none, domain.Place{}, nil, domain.ErrInvalid},
		{"place hold at NaN", none, domain.Place{Hold: domain.StockReserved{ReservationID: resA, ProductID: "p", CustomerID: "c", Location: domain.Location{Lat: math.NaN()}}}, nil, domain.ErrInvalid},
		{"reject with invalid UTF-8 reason", accepted, domain.Reject{StoreID: "gangnam-01", Reason: "재고\xff"}, nil, domain.ErrInvalid},
		{"reject with control character in reason", accepted, domain.Reject{StoreID: "gangnam-01", Reason: "a\x00b"}, nil, domain.ErrInvalid},

		// Fulfil
		{"fulfil by delivery", accepted, domain.Fulfil{Method: domain.Delivery}, fulfilledBy(domain.Delivery), nil},
		{"fulfil by store visit", accepted, domain.Fulfil{Method: domain.StoreVisit}, fulfilledBy(domain.StoreVisit), nil},
		{"fulfil with no method", accepted, domain.Fulfil{}, nil, domain.ErrInvalid},
		{"fulfil with unknown method", accepted, domain.Fulfil{Method: "DRONE"}, nil, domain.ErrInvalid},
		{"fulfil with lower-case method", accepted, domain.Fulfil{Method: "delivery"}, nil, domain.ErrInvalid},
		{"fulfil missing", none, domain.Fulfil{Method: domain.Delivery}, nil, domain.ErrNotFound},
		{"fulfil by the holding store's staff", accepted, domain.Fulfil{Method: domain.Delivery, StoreID: "gangnam-01"}, fulfilledBy(domain.Delivery), nil},
		{"fulfil by another store's staff", accepted, domain.Fulfil{Method: domain.Delivery, StoreID: "busan-01"}, nil, domain.ErrInvalidTransition},
		{"fulfil by staff while placed", placed, domain.Fulfil{Method: domain.Delivery, StoreID: "gangnam-01"}, nil, domain.ErrInvalidTransition},

		// Commands of other aggregates, and pointers to commands.
		{"product command", placed, domain.Reserve{ReservationID: resA}, nil, domain.ErrInvalid},
		{"store command", accepted, domain.TakeSlot{ReservationID: resA}, nil, domain.ErrInvalid},
		{"pointer to command", accepted, &reject, nil, domain.ErrInvalid},
		{"nil command", placed, nil, nil, domain.ErrInvalid},
	}
	// Every command in every status that forbids it.
	forbidden := []struct {
		what    string
		cmd     any
		allowed []domain.Status
	}{
		{"accept", accept, []domain.Status{domain.StatusPlaced}},
		{"reject", reject, []domain.Status{domain.StatusAccepted}},
		{"cancel", domain.Cancel{ProductSeq: 42}, []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusCancelling}},
		{"restore stock", domain.RecordStockRestored{}, []domain.Status{domain.StatusCancelling, domain.StatusCancelled}},
		{"release store", domain.RecordStoreReleased{}, []domain.Status{domain.StatusCancelling, domain.StatusCancelled}},
		{"fulfil", domain.Fulfil{Method: domain.StoreVisit}, []domain.Status{domain.StatusAccepted}},
	}
	for _, f := range forbidden {
		for _, s := range all {
			if !slices.Contains(f.allowed, s.state.Status) {
				tests = append(tests, decideCase[domain.Reservation]{f.what + " " + s.name, s.state, f.cmd, nil, domain.ErrInvalidTransition})
			}
		}
	}
	runDecide(t, tests)
}

// seen is what readers see of a reservation: everything but the parts
// the status and store are derived from.
type seen struct {
	Status        domain.Status
	StoreID       string
	DistanceKm    float64
	RejectedBy    []string
	StockRestored bool
	StoreReleased bool
	UpdatedAt     time.Time
}

func seenOf(r domain.Reservation) seen {
	return seen{r.Status, r.StoreID, r.DistanceKm, r.RejectedBy, r.StockRestored, r.StoreReleased, r.UpdatedAt}
}

func TestReservationEvolve(t *testing.T) {
	rejected := []string{"gangnam-01"}
	tests := []struct {
		name  string
		state domain.Reservation
		event domain.Event
		want  seen
	}{
		{"placed", domain.Reservation{}, domain.ReservationPlaced{ReservationID: resA, ProductID: productID,
			CustomerID: customerID, Location: gangnam, At: t0}, seen{Status: domain.StatusPlaced, UpdatedAt: t0}},
		{"accepted", placed, domain.ReservationAccepted{ReservationID: resA, StoreID: "gangnam-01", DistanceKm: 0.42, At: now},
			seen{Status: domain.StatusAccepted, StoreID: "gangnam-01", DistanceKm: 0.42, UpdatedAt: now}},
		{"rejected", accepted, domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", Reason: "재고 부족", At: now},
			seen{Status: domain.StatusPlaced, RejectedBy: rejected, UpdatedAt: now}},
		{"accepted after a rejection", rejectedBefore, domain.ReservationAccepted{ReservationID: resA, StoreID: "yeoksam-02", DistanceKm: 1.1, Round: 1, At: now},
			seen{Status: domain.StatusAccepted, StoreID: "yeoksam-02", DistanceKm: 1.1, RejectedBy: rejected, UpdatedAt: now}},
		{"an acceptance older than the rejection", rejectedBefore, domain.ReservationAccepted{ReservationID: resA, StoreID: "yeoksam-02", DistanceKm: 1.1, At: now},
			seen{Status: domain.StatusPlaced, RejectedBy: rejected, UpdatedAt: now}},
		{"rejected by a second store", fold(rejectedBefore, domain.ReservationAccepted{ReservationID: resA, StoreID: "yeoksam-02", DistanceKm: 1.1, Round: 1, At: t0}),
			domain.ReservationRejected{ReservationID: resA, StoreID: "yeoksam-02", At: now},
			seen{Status: domain.StatusPlaced, RejectedBy: []string{"gangnam-01", "yeoksam-02"}, UpdatedAt: now}},
		{"cancel requested when placed", placed, domain.CancelRequested{ReservationID: resA, ProductSeq: 42, At: now},
			seen{Status: domain.StatusCancelling, StoreReleased: true, UpdatedAt: now}},
		{"cancel requested when accepted", accepted, domain.CancelRequested{ReservationID: resA, ProductSeq: 42, At: now},
			seen{Status: domain.StatusCancelling, StoreID: "gangnam-01", DistanceKm: 0.42, UpdatedAt: now}},
		{"stock restored, store not yet released", cancellingAccepted, domain.StockRestored{ReservationID: resA, At: now},
			seen{Status: domain.StatusCancelling, StoreID: "gangnam-01", DistanceKm: 0.42, StockRestored: true, UpdatedAt: now}},
		{"stock restored, no store", cancellingPlaced, domain.StockRestored{ReservationID: resA, At: now},
			seen{Status: domain.StatusCancelled, StockRestored: true, StoreReleased: true, UpdatedAt: now}},
		{"stock restored, store released", cancellingReleased, domain.StockRestored{ReservationID: resA, At: now},
			seen{Status: domain.StatusCancelled, StockRestored: true, StoreReleased: true, UpdatedAt: now}},
		{"store released, stock not yet restored", cancellingAccepted, domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now},
			seen{Status: domain.StatusCancelling, StoreReleased: true, UpdatedAt: now}},
		{"store released, stock restored", cancellingRestored, domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now},
			seen{Status: domain.StatusCancelled, StockRestored: true, StoreReleased: true, UpdatedAt: now}},
		{"fulfilled", accepted, domain.ReservationFulfilled{ReservationID: resA, Method: domain.Delivery, StoreID: "gangnam-01", At: now},
			seen{Status: domain.StatusFulfilled, StoreID: "gangnam-01", DistanceKm: 0.42, UpdatedAt: now}},
		{"fulfilled, as written before the store was recorded", accepted, domain.ReservationFulfilled{ReservationID: resA, Method: domain.Delivery, At: now},
			seen{Status: domain.StatusFulfilled, StoreID: "gangnam-01", DistanceKm: 0.42, UpdatedAt: now}},
		{"fulfilled, then the slot freed", fulfilled, domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now},
			seen{Status: domain.StatusFulfilled, StoreID: "gangnam-01", UpdatedAt: now}},
		{"event of a product", placed, domain.StockReleased{ProductID: productID, ReservationID: resA, At: now}, seenOf(placed)},
		{"event of a store", accepted, domain.StoreSlotReleased{StoreID: "gangnam-01", ReservationID: resA, At: now}, seenOf(accepted)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seenOf(tt.state.Evolve(tt.event)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Evolve(%#v)\n got %+v\nwant %+v", tt.event, got, tt.want)
			}
		})
	}
}

// TestReservationPartsInterleave: the api's and the assigner's subjects
// are read in whatever order their messages interleave in the stream, or
// as two last states combined. Every interleaving that keeps each part's
// own order, and combining the parts, must give one reservation.
func TestReservationPartsInterleave(t *testing.T) {
	placedEv := domain.ReservationPlaced{ReservationID: resA, ProductID: productID, CustomerID: customerID, Location: gangnam, At: t0}
	acc := func(store string, round int) domain.Event {
		return domain.ReservationAccepted{ReservationID: resA, StoreID: store, DistanceKm: 1, Round: round, At: now}
	}
	lives := []struct {
		name          string
		api, assigner []domain.Event
		status        domain.Status
		store         string
	}{
		{"accepted", evs(placedEv), evs(acc("gangnam-01", 0)), domain.StatusAccepted, "gangnam-01"},
		{"rejected, then accepted elsewhere", evs(placedEv, domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", At: now}),
			evs(acc("gangnam-01", 0), acc("yeoksam-02", 1)), domain.StatusAccepted, "yeoksam-02"},
		{"rejected, waiting", evs(placedEv, domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", At: now}),
			evs(acc("gangnam-01", 0)), domain.StatusPlaced, ""},
		{"cancelled while accepted", evs(placedEv, domain.CancelRequested{ReservationID: resA, ProductSeq: 4, At: now}, domain.StockRestored{ReservationID: resA, At: now}),
			evs(acc("gangnam-01", 0), domain.StoreReleased{ReservationID: resA, StoreID: "gangnam-01", At: now}), domain.StatusCancelled, ""},
		{"cancelled, store not freed yet", evs(placedEv, domain.CancelRequested{ReservationID: resA, ProductSeq: 4, At: now}, domain.StockRestored{ReservationID: resA, At: now}),
			evs(acc("gangnam-01", 0)), domain.StatusCancelling, "gangnam-01"},
		{"fulfilled, slot freed", evs(placedEv, domain.ReservationFulfilled{ReservationID: resA, Method: domain.StoreVisit, StoreID: "gangnam-01", At: now}),
			evs(acc("gangnam-01", 0)), domain.StatusFulfilled, "gangnam-01"},
	}
	for _, l := range lives {
		t.Run(l.name, func(t *testing.T) {
			want := domain.Combine(fold(domain.Reservation{}, l.api...), fold(domain.Reservation{}, l.assigner...).Assignment)
			if want.Status != l.status || want.StoreID != l.store {
				t.Fatalf("combined: %s at %q, want %s at %q", want.Status, want.StoreID, l.status, l.store)
			}
			for _, order := range interleavings(l.api, l.assigner) {
				if got := fold(domain.Reservation{}, order...); !reflect.DeepEqual(seenOf(got), seenOf(want)) {
					t.Fatalf("folded in the order %v\n got %+v\nwant %+v", typesOf(order), seenOf(got), seenOf(want))
				}
			}
		})
	}
}

// TestCombineTakesNoStoreFromTheApiSubject: whatever a message on the
// api's subject states about a store, the reservation's store is what the
// assigner's subject says.
func TestCombineTakesNoStoreFromTheApiSubject(t *testing.T) {
	forged := placed
	forged.Status, forged.StoreID, forged.DistanceKm = domain.StatusAccepted, "gangnam-01", 0.1
	forged.Assignment = domain.Assignment{StoreID: "gangnam-01", DistanceKm: 0.1}
	if r := domain.Combine(forged, domain.Assignment{}); r.Status != domain.StatusPlaced || r.StoreID != "" {
		t.Fatalf("a forged acceptance combined with no assignment: %s at %q, want PLACED at none", r.Status, r.StoreID)
	}
	if r := domain.Combine(forged, accepted.Assignment); r.Status != domain.StatusAccepted || r.StoreID != "gangnam-01" || r.DistanceKm != 0.42 {
		t.Fatalf("combined with the assigner's part: %s at %q, %v km; want ACCEPTED at gangnam-01, 0.42", r.Status, r.StoreID, r.DistanceKm)
	}
}

// interleavings returns every merge of a and b that keeps each in order.
func interleavings(a, b []domain.Event) [][]domain.Event {
	if len(a) == 0 {
		return [][]domain.Event{slices.Clone(b)}
	}
	if len(b) == 0 {
		return [][]domain.Event{slices.Clone(a)}
	}
	var out [][]domain.Event
	for _, rest := range interleavings(a[1:], b) {
		out = append(out, append([]domain.Event{a[0]}, rest...))
	}
	for _, rest := range interleavings(a, b[1:]) {
		out = append(out, append([]domain.Event{b[0]}, rest...))
	}
	return out
}

func typesOf(events []domain.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.EventType()
	}
	return out
}

// TestReservationEvolveDoesNotAlias checks that two rejections applied to
// one state do not share RejectedBy.
func TestReservationEvolveDoesNotAlias(t *testing.T) {
	r := accepted
	r.RejectedBy = make([]string, 1, 8)
	r.RejectedBy[0] = "seocho-03"
	a := r.Evolve(domain.ReservationRejected{ReservationID: resA, StoreID: "gangnam-01", At: now})
	b := r.Evolve(domain.ReservationRejected{ReservationID: resA, StoreID: "yeoksam-02", At: now})
	if got := a.RejectedBy; !reflect.DeepEqual(got, []string{"seocho-03", "gangnam-01"}) {
		t.Fatalf("first rejection: RejectedBy %v", got)
	}
	if got := b.RejectedBy; !reflect.DeepEqual(got, []string{"seocho-03", "yeoksam-02"}) {
		t.Fatalf("second rejection: RejectedBy %v", got)
	}
}

// TestReservationReassignedThenCancelled plays the whole life of a
// reservation with its product and stores, as the assigner and the cancel
// process would, folding what each Decide returns.
func TestReservationReassignedThenCancelled(t *testing.T) {
	p := fold(domain.Product{}, domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", Stock: 3, At: t0})
	gangnamStore := fold(domain.Store{}, domain.StoreRegistered{StoreID: "gangnam-01", Name: "강남역점", Location: gangnam, Capacity: 1, At: t0})
	yeoksamStore := fold(domain.Store{}, domain.StoreRegistered{StoreID: "yeoksam-02", Name: "역삼점", Location: yeoksam, Capacity: 1, At: t0})
	var r domain.Reservation

	p, held := step(t, p, domain.Reserve{ReservationID: resA, CustomerID: customerID, Location: gangnam})
	r, _ = step(t, r, domain.Place{Hold: held[0].(domain.StockReserved)})
	gangnamStore, _ = step(t, gangnamStore, domain.TakeSlot{ReservationID: resA})
	r, _ = step(t, r, domain.Accept{StoreID: "gangnam-01", DistanceKm: 0.42})
	r, _ = step(t, r, domain.Reject{StoreID: "gangnam-01", Reason: "재고 부족"})
	gangnamStore, _ = step(t, gangnamStore, domain.ReleaseSlot{ReservationID: resA})
	refuse(t, r, domain.Accept{StoreID: "gangnam-01", DistanceKm: 0.42}, domain.ErrInvalidTransition)
	yeoksamStore, _ = step(t, yeoksamStore, domain.TakeSlot{ReservationID: resA})
	r, _ = step(t, r, domain.Accept{StoreID: "yeoksam-02", DistanceKm: 1.1})
	if r.Status != domain.StatusAccepted || r.StoreID != "yeoksam-02" || !reflect.DeepEqual(r.RejectedBy, []string{"gangnam-01"}) {
		t.Fatalf("after the second accept: %+v", r)
	}

	r, _ = step(t, r, domain.Cancel{ProductSeq: 2})
	if retried, again := step(t, r, domain.Cancel{ProductSeq: 3}); again != nil || retried.CancelProductSeq != 2 {
		t.Fatalf("cancel retried: events %v, product seq %d; want none and 2", again, retried.CancelProductSeq)
	}
	refuse(t, r, domain.Fulfil{Method: domain.StoreVisit}, domain.ErrInvalidTransition)
	p, _ = step(t, p, domain.Release{ReservationID: resA})
	r, _ = step(t, r, domain.RecordStockRestored{})
	if r.Status != domain.StatusCancelling || r.StoreID != "yeoksam-02" {
		t.Fatalf("with the store not yet released: status %s, store %q; want CANCELLING, yeoksam-02", r.Status, r.StoreID)
	}
	yeoksamStore, _ = step(t, yeoksamStore, domain.ReleaseSlot{ReservationID: resA})
	r, _ = step(t, r, domain.RecordStoreReleased{})

	want := seen{Status: domain.StatusCancelled, RejectedBy: []string{"gangnam-01"}, StockRestored: true, StoreReleased: true, UpdatedAt: now}
	if got := seenOf(r); !reflect.DeepEqual(got, want) || r.CancelProductSeq != 2 {
		t.Fatalf("reservation\n got %+v (product seq %d)\nwant %+v (product seq 2)", got, r.CancelProductSeq, want)
	}
	if p != product(3, 3) {
		t.Errorf("product %+v, want its stock restored to 3 of 3", p)
	}
	if gangnamStore.Load() != 0 || yeoksamStore.Load() != 0 {
		t.Errorf("stores hold %v and %v, want nothing", gangnamStore.Holding, yeoksamStore.Holding)
	}
}

// TestReservationCancelledBeforeAccept: with no store to release, restoring
// the stock alone settles the cancel.
func TestReservationCancelledBeforeAccept(t *testing.T) {
	p, r := product(2, 3), placed
	r, _ = step(t, r, domain.Cancel{ProductSeq: 7})
	if r.Status != domain.StatusCancelling || !r.StoreReleased || r.StockRestored {
		t.Fatalf("after cancel: %+v, want CANCELLING with only the store side done", r)
	}
	if _, events := step(t, r, domain.RecordStoreReleased{}); events != nil {
		t.Fatalf("releasing no store caused %v", events)
	}
	p, _ = step(t, p, domain.Release{ReservationID: resA})
	r, _ = step(t, r, domain.RecordStockRestored{})
	if r.Status != domain.StatusCancelled || r.StoreID != "" || r.CancelProductSeq != 7 {
		t.Fatalf("after stock restored: %+v, want CANCELLED for product seq 7", r)
	}
	if p != product(3, 3) {
		t.Errorf("product %+v, want 3 of 3 in stock", p)
	}
	refuse(t, r, domain.Cancel{ProductSeq: 8}, domain.ErrInvalidTransition)
	refuse(t, r, domain.Accept{StoreID: "gangnam-01"}, domain.ErrInvalidTransition)
}

func TestReservationFulfilled(t *testing.T) {
	r, _ := step(t, placed, domain.Accept{StoreID: "gangnam-01", DistanceKm: 0.42})
	r, _ = step(t, r, domain.Fulfil{Method: domain.Delivery})
	if r.Status != domain.StatusFulfilled || r.StoreID != "gangnam-01" {
		t.Fatalf("after fulfil: %+v, want FULFILLED at gangnam-01", r)
	}
	for _, cmd := range []any{domain.Fulfil{Method: domain.Delivery}, domain.Cancel{}, domain.Reject{StoreID: "gangnam-01"},
		domain.Accept{StoreID: "yeoksam-02"}} {
		refuse(t, r, cmd, domain.ErrInvalidTransition)
	}
}

func TestStatusLabel(t *testing.T) {
	tests := []struct {
		status domain.Status
		want   string
	}{
		{domain.StatusPlaced, "예약신청"},
		{domain.StatusAccepted, "예약접수완료"},
		{domain.StatusCancelling, "예약취소"},
		{domain.StatusCancelled, "예약취소완료"},
		{domain.StatusFulfilled, "개통완료"},
		{"", ""},
		{"placed", ""},
		{"SHIPPED", ""},
	}
	for _, tt := range tests {
		if got := tt.status.Label(); got != tt.want {
			t.Errorf("Status(%q).Label() = %q, want %q", tt.status, got, tt.want)
		}
	}
}
