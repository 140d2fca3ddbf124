package shop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/shop"
)

// On a cluster a load may be answered by a follower a moment behind the
// leader. A command decided on such a state must not be refused, or taken
// as already done, when the leader's state says otherwise: here each node's
// service in turn undoes, at once, what another's just did, and every
// command must take effect.
func TestCommandsAfterAWriteElsewhereOnCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	var svcs []*shop.Service
	var stores []*eventstore.Store
	for i, srv := range c.Servers {
		cfg := &eventstore.Config{Timeout: 5 * time.Second, WaitForStreams: i > 0}
		if i == 0 {
			cfg.Replicas = 3
		}
		es, err := eventstore.Open(context.Background(), srv.Connect(natstest.User(natstest.API)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, es)
		svcs = append(svcs, shop.New(es, &shop.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	}
	ctx := context.Background()
	// Eight stores at once, so that followers have work to fall behind on.
	var wg sync.WaitGroup
	for n := range 8 {
		id := fmt.Sprintf("store-%d", n)
		if _, err := untilAvailable(func() (domain.Store, error) {
			st, _, err := svcs[0].RegisterStore(ctx, domain.RegisterStore{ID: id, Name: "Store", Location: domain.Location{Lat: 37.5, Lon: 127}, Capacity: 5})
			if errors.Is(err, domain.ErrAlreadyExists) {
				err = nil // an earlier attempt's answer was lost
			}
			return st, err
		}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 150 {
				a, b := svcs[(i+n)%3], svcs[(i+n+1)%3]
				if _, err := untilAvailable(func() (domain.Store, error) {
					st, _, err := a.PauseStore(ctx, id)
					return st, err
				}); err != nil {
					t.Error(err)
					return
				}
				st, err := untilAvailable(func() (domain.Store, error) {
					st, _, err := b.ResumeStore(ctx, id)
					return st, err
				})
				if err != nil {
					t.Error(err)
					return
				}
				now, err := untilAvailable(func() (domain.Store, error) {
					var now domain.Store
					m, err := stores[0].LastFromLeader(ctx, eventstore.Stores, id)
					if err == nil {
						err = m.State(&now)
					}
					return now, err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if st.Paused || now.Paused {
					t.Errorf("%s, round %d: resume answered paused=%v; the store is paused=%v", id, i, st.Paused, now.Paused)
					return
				}
			}
		})
	}
	wg.Wait()
}

// untilAvailable calls fn again while the cluster is unavailable (a new
// stream's first election, a busy machine), for up to 30 seconds.
func untilAvailable[T any](fn func() (T, error)) (T, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := fn()
		if !errors.Is(err, eventstore.ErrUnavailable) || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
