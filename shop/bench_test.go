package shop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/shop"
)

// newService starts NATS, the event store and a running Service.
func newService(b testing.TB, cfg shop.Config) *shop.Service {
	b.Helper()
	ns := natstest.Start(b)
	es, err := eventstore.Open(context.Background(), ns.Connect(natstest.User(natstest.API)), &eventstore.Config{Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := shop.New(es, &cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return svc
}

func createProducts(b testing.TB, svc *shop.Service, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("phone-%04d", i)
		if _, _, err := svc.CreateProduct(context.Background(), domain.CreateProduct{ID: ids[i], Name: "Phone", Stock: domain.MaxStock}); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// benchReserve reserves from 64 goroutines at once, each picking one of
// the products at random, and reports reservations per second and conflicts met.
func benchReserve(b *testing.B, cfg shop.Config, products int) {
	svc := newService(b, cfg)
	ids := createProducts(b, svc, products)
	var n, busy atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := svc.Reserve(context.Background(), shop.ReserveRequest{
				ProductID: ids[rand.IntN(len(ids))], CustomerID: fmt.Sprintf("c-%d", i),
				Location: domain.Location{Lat: 37.56, Lon: 126.97},
			})
			if errors.Is(err, shop.ErrBusy) {
				busy.Add(1)
				continue
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load()-busy.Load())/time.Since(start).Seconds(), "reservations/s")
	b.ReportMetric(float64(busy.Load()), "busy")
}

// One hot product, group commit on: the path every reservation takes.
func BenchmarkReserveHotProduct(b *testing.B) { benchReserve(b, shop.Config{}, 1) }

// One hot product with group commit off: load, decide, append, retry.
func BenchmarkReserveHotProductPlainRetry(b *testing.B) {
	benchReserve(b, shop.Config{DisableGroupCommit: true, MaxAttempts: 1000}, 1)
}

// Reservations spread over 1,000 products.
func BenchmarkReserveManyProducts(b *testing.B) { benchReserve(b, shop.Config{}, 1000) }
