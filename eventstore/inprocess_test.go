package eventstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
)

// On a replicated stream, an append made while another with the same
// message id is being stored (a request and the placer placing the same
// reservation, two cancels releasing the same unit) is refused with 10158,
// "duplicate message id is in process", until that one commits. Append
// waits for it and returns the stored sequence, as for any other retry of
// an append that was stored.
func TestAppendSameIDConcurrentlyOnCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	var stores []*eventstore.Store
	for i, srv := range c.Servers {
		s := openOn(t, srv.Connect(), &eventstore.Config{Replicas: 3, Timeout: 5 * time.Second})
		if i == 0 {
			stores = append(stores, s)
		}
		stores = append(stores, s)
	}
	// A new R3 stream answers once its leader is elected, and through a
	// server only once that server knows of it: warm up through each.
	warmUp(t, stores[1:], func(s *eventstore.Store, i int) error {
		id := fmt.Sprintf("warm-up-%d", i)
		warm := domain.ProductCreated{ProductID: id, Name: "Phone", Stock: 1, At: time.Unix(1, 0).UTC()}
		_, err := s.Append(t.Context(), eventstore.Products, id, 0, "", []domain.Event{warm}, domain.Product{}.Evolve(warm))
		return err
	})
	const rounds, copies = 20, 12
	for round := range rounds {
		id := fmt.Sprintf("phone-%d", round)
		e := domain.ProductCreated{ProductID: id, Name: "Phone", Stock: 1, At: time.Unix(1, 0).UTC()}
		state := domain.Product{}.Evolve(e)
		seqs := make([]uint64, copies)
		errs := make([]error, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Go(func() {
				seqs[i], errs[i] = stores[i%len(stores)].Append(t.Context(), eventstore.Products, id, 0, "", []domain.Event{e}, state)
			})
		}
		wg.Wait()
		for i := range copies {
			if errs[i] != nil {
				t.Fatalf("round %d, copy %d: %v", round, i, errs[i])
			}
			if seqs[i] != seqs[0] {
				t.Fatalf("round %d: copies stored at %v, want one sequence", round, seqs)
			}
		}
	}
	if n, want := msgCount(t, c.Servers[0].Connect(), eventstore.Products), uint64(rounds+len(c.Servers)); n != want {
		t.Fatalf("%d messages stored, want %d", n, want)
	}
}
