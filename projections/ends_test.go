package projections

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/eventstore"
)

// TestLogEnds: queries waiting at once ask the log one at a time per
// stream and share its answer; only a position past the end is past.
func TestLogEnds(t *testing.T) {
	var calls, inflight, most atomic.Int64
	l := newLogEnds(func(ctx context.Context, k eventstore.Kind) (uint64, error) {
		calls.Add(1)
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return 100, nil
	})
	var wg sync.WaitGroup
	var pasts atomic.Int64
	for i := range 50 {
		wg.Go(func() {
			seq := uint64(51 + i) // 51 … 100: all within the log
			if i%10 == 0 {
				seq = 1000 // past the end
			}
			for {
				past, checked := l.past(t.Context(), eventstore.Products, seq)
				if checked {
					if past {
						pasts.Add(1)
					}
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d calls of End at once, want 1", most.Load())
	}
	if pasts.Load() != 5 {
		t.Errorf("%d positions past the end, want 5", pasts.Load())
	}
	if c := calls.Load(); c > 10 {
		t.Errorf("End called %d times for 50 queries, want the answer shared", c)
	}
	if past, checked := l.past(t.Context(), eventstore.Stores, 1); past || !checked {
		t.Errorf("past on another stream = %v, %v; want it asked for itself", past, checked)
	}
}
