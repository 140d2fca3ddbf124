package projections_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

// BenchmarkApplyLive folds what a live projector gets at a moderate rate:
// a few reservations per transaction on each stream, spread over 1,000
// products and 400 stores that hold about a hundred reservations each.
// One op is one reservation: its hold, placement, slot and acceptance.
func BenchmarkApplyLive(b *testing.B) {
	const products, stores, perBatch = 1000, 400, 4
	db, err := projections.Open(filepath.Join(b.TempDir(), "views.db"), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seqs := map[eventstore.Kind]uint64{}
	var pending map[eventstore.Kind][]eventstore.Message
	add := func(k eventstore.Kind, id string, e domain.Event) {
		seqs[k]++
		pending[k] = append(pending[k], msg(seqs[k], id, e))
	}
	flush := func() {
		for k, msgs := range pending {
			if err := db.Apply(k, msgs); err != nil {
				b.Fatal(err)
			}
		}
		pending = map[eventstore.Kind][]eventstore.Message{}
	}
	pending = map[eventstore.Kind][]eventstore.Message{}
	for i := range products {
		id := fmt.Sprintf("p%04d", i)
		add(eventstore.Products, id, created(id, 1_000_000, 0))
	}
	for i := range stores {
		id := fmt.Sprintf("s%03d", i)
		add(eventstore.Stores, id, registered(id, 200, 0))
	}
	flush()
	n := 0
	reserve := func() {
		r := uuid.Must(uuid.NewV7())
		p, s := fmt.Sprintf("p%04d", n%products), fmt.Sprintf("s%03d", n%stores)
		add(eventstore.Products, p, reserved(p, r, "c1", 1))
		add(eventstore.Reservations, r.String(), placed(r, p, "c1", 1))
		add(eventstore.Stores, s, domain.StoreSlotTaken{StoreID: s, ReservationID: r, At: at(1)})
		add(eventstore.Reservations, r.String(), domain.ReservationAccepted{ReservationID: r, StoreID: s, DistanceKm: 1, At: at(1)})
		n++
		if n%perBatch == 0 {
			flush()
		}
	}
	for range 100 * stores {
		reserve()
	}
	flush()
	b.ResetTimer()
	for b.Loop() {
		reserve()
	}
	flush()
}
