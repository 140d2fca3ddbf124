package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
)

// benchEvents is the size of the log the rebuild benchmark replays:
// TSHOP_BENCH_EVENTS, default 100,000.
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("TSHOP_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// fillLog appends n reservations' worth of messages: each reservation is
// placed in its own log, and its unit is held by one of 100 products.
func fillLog(b *testing.B, es *eventstore.Store, n int) {
	ctx := context.Background()
	for i := range 100 {
		p := domain.Product{}.Evolve(domain.ProductCreated{ProductID: fmt.Sprintf("phone-%d", i), Name: "Phone", Stock: domain.MaxStock})
		if _, err := es.Append(ctx, eventstore.Products, p.ID, 0, "", []domain.Event{domain.ProductCreated{ProductID: p.ID, Name: p.Name, Stock: p.Stock}}, p); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				id := uuid.Must(uuid.NewV7())
				e := domain.ReservationPlaced{ReservationID: id, ProductID: fmt.Sprintf("phone-%d", i%100),
					CustomerID: fmt.Sprintf("c-%d", i%5000), Location: domain.Location{Lat: 37.5, Lon: 127}, At: time.Unix(1_800_000_000+i, 0).UTC()}
				r := domain.Reservation{}.Evolve(e)
				if _, err := es.Append(ctx, eventstore.Reservations, id.String(), 0, "", []domain.Event{e}, r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkRebuild replays a log of TSHOP_BENCH_EVENTS reservations into a
// fresh read model, beside the raw rate an ordered consumer reads the same
// stream at.
func BenchmarkRebuild(b *testing.B) {
	ns := natstest.Start(b)
	nc := ns.Connect()
	es, err := eventstore.Open(context.Background(), nc, &eventstore.Config{Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	n := benchEvents()
	fillStart := time.Now()
	fillLog(b, es, n)
	b.Logf("appended %d reservations in %s", n, time.Since(fillStart).Round(time.Millisecond))
	end, err := es.LastSeq(context.Background(), eventstore.Reservations)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		// Baseline: read the stream and do nothing with it.
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		err := es.Follow(ctx, eventstore.Reservations, 1, func(m eventstore.Message, _ eventstore.Position) error {
			if m.Seq >= end {
				return errDone
			}
			return nil
		})
		cancel()
		if !errors.Is(err, errDone) {
			b.Fatal(err)
		}
		raw := float64(end) / time.Since(start).Seconds()

		path := filepath.Join(b.TempDir(), "rebuild.db")
		start = time.Now()
		if err := projections.Rebuild(context.Background(), es, nc, path, nil, nil); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		rate := float64(end+100) / took.Seconds()
		b.ReportMetric(raw, "raw-read-msgs/s")
		b.ReportMetric(rate, "rebuild-msgs/s")
		b.ReportMetric(rate/raw, "rebuild/raw")
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
	}
}

var errDone = errors.New("done")
