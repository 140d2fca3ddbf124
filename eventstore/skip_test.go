package eventstore_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// A consumer's Skip sees each message's event types before its body is
// decoded; what it skips is acked and never handled. A message written
// without the types (by an older version, or by hand) is unknown: Has says
// it may hold anything.
func TestConsumeSkipsUnreadByEventType(t *testing.T) {
	_, nc, s := open(t, nil)
	seqs := appendN(t, s, "p-skip", 4) // created, then three restocks
	// A message with no types header: a raw publish of a valid body.
	raw, err := nc.Request("tshop.product.p-raw", []byte(`{"events":[{"type":"ProductCreated","data":{"productId":"p-raw","name":"Phone","stock":1,"at":"2026-01-01T00:00:00Z"}}],"state":{}}`), 5*time.Second)
	if err != nil || len(raw.Data) == 0 {
		t.Fatalf("raw publish: %v", err)
	}
	var mu sync.Mutex
	var peeked [][]string
	var handled []uint64
	cfg := eventstore.ConsumerConfig{Durable: "skip-test", Kind: eventstore.Products,
		Skip: func(p eventstore.Peek) bool {
			mu.Lock()
			peeked = append(peeked, p.Types)
			mu.Unlock()
			return !p.Has(domain.ProductCreated{}.EventType())
		}}
	consume(t, s, cfg, func(_ context.Context, d eventstore.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, d.Seq)
		return nil
	})
	last := seqs[len(seqs)-1] + 1
	processed(t, s, "skip-test", last)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(handled)
	if want := []uint64{seqs[0], last}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want the creation %v and the message without types", handled, want)
	}
	var known, unknown int
	for _, types := range peeked {
		switch {
		case types == nil:
			unknown++
		case len(types) == 1 && (types[0] == "ProductCreated" || types[0] == "ProductRestocked"):
			known++
		default:
			t.Errorf("peeked types %q", types)
		}
	}
	if known != 4 || unknown != 1 {
		t.Errorf("peeked %d messages with types and %d without, want 4 and 1", known, unknown)
	}
}
