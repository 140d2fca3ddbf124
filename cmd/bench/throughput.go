package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/internal/load"
)

func sortStrings(s []string) { slices.Sort(s) }

const manyScenario = "Reservations over many products, 64 connections (closed loop, peak)"

// throughput: the peak over many products against the HTTP ceiling and the
// storage ceiling (raw async JetStream publish).
func (b *bench) throughput(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	_, err = b.throughputOn(ctx, s, true)
	return err
}

// throughputOn measures the many-products peak on s, with the baselines
// when asked, and returns it.
func (b *bench) throughputOn(ctx context.Context, s *system, withBaselines bool) (float64, error) {
	c := newClient(8)
	products, err := createProducts(ctx, c, s.apiURL, "many", b.sz.products, 1_000_000_000)
	if err != nil {
		return 0, err
	}
	if withBaselines {
		url, err := b.startCeiling(s)
		if err != nil {
			return 0, err
		}
		ceil := b.peak(ctx, url, 64, pickAny(products))
		b.ceiling = rate(ceil, "201")
	}
	if err := b.settle(ctx, s); err != nil {
		return 0, err
	}
	var many load.Result
	b.profiled(ctx, s, "many-"+s.opts.durabilityLabel(), func() { many = b.peak(ctx, s.apiURL, 64, pickAny(products)) })
	manyRate := rate(many, "201")
	if withBaselines {
		b.manyPeak = manyRate
	}
	res := result{Scenario: manyScenario, Durability: s.opts.durability(),
		Figure: fmt.Sprintf("reservations/s over %d products", len(products)), Value: manyRate, Unit: "/s",
		Baseline: "HTTP ceiling (trivial chi JSON handler)", BaseValue: b.ceiling,
		Target: "≥ 50% of the HTTP ceiling", Met: met(manyRate >= 0.5*b.ceiling),
		Notes: kinds(many) + "; " + lat(many)}
	b.rep.add(res)
	if !withBaselines {
		return manyRate, nil
	}
	raw, err := rawPublish(ctx, s, b.sz.memory/10)
	if err != nil {
		return 0, err
	}
	b.rep.add(result{Scenario: manyScenario, Durability: s.opts.durability(),
		Figure: "reservations/s over many products, against storage", Value: manyRate, Unit: "/s",
		Baseline: "raw async JetStream publish (msgs/s)", BaseValue: raw,
		Notes: "a reservation is two appends (hold, placement) plus the reads and consumers that follow"})
	return manyRate, nil
}

// rawPublish is the storage ceiling: async publishes of reservation-sized
// messages to a stream of their own, acked.
func rawPublish(ctx context.Context, s *system, n int) (float64, error) {
	nc, err := s.connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RAW", Subjects: []string{"bench.raw.*"}, Storage: jetstream.FileStorage}); err != nil {
		return 0, err
	}
	defer js.DeleteStream(context.Background(), "BENCH_RAW")
	body := make([]byte, 600)
	n = max(n, 20_000)
	start := time.Now()
	for i := range n {
		if _, err := js.PublishAsync(fmt.Sprintf("bench.raw.%d", i%1000), body); err != nil {
			return 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("raw publish did not complete")
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
