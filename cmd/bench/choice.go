package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

const choiceScenario = "Store choice"

// storeChoice times the spatial index against a scan of every store, on
// directories of Korean stores some of which are full.
func (b *bench) storeChoice(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range b.sz.storeCounts {
		dir := assign.NewDirectory()
		stores := make([]assign.Store, n)
		for i := range stores {
			capacity := 10 + rng.IntN(50)
			stores[i] = assign.Store{ID: fmt.Sprintf("s-%05d", i), Capacity: capacity, Load: rng.IntN(capacity + 1),
				Location: domain.Location{Lat: 33.2 + rng.Float64()*5.3, Lon: 126.1 + rng.Float64()*3.3}}
			dir.Put(stores[i])
		}
		at := func() domain.Location {
			return domain.Location{Lat: 34 + rng.Float64()*4, Lon: 126.5 + rng.Float64()*2.5}
		}
		const indexed, scanned = 20_000, 50
		start := time.Now()
		for range indexed {
			dir.Choose(at(), nil)
		}
		perChoose := time.Since(start) / indexed
		start = time.Now()
		for range scanned {
			assign.BruteForce(stores, at(), nil)
		}
		perScan := time.Since(start) / scanned
		b.rep.add(result{Scenario: choiceScenario, Durability: "in memory",
			Figure: fmt.Sprintf("one choice among %d stores", n), Value: float64(perChoose) / 1e3, Unit: "µs",
			Baseline: "brute-force scan of every store", BaseValue: float64(perScan) / 1e3,
			Target: targetFor(n), Met: metFor(n, perChoose)})
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func targetFor(n int) string {
	if n >= 50_000 {
		return "≤ 20 µs at 50,000"
	}
	return ""
}

func metFor(n int, d time.Duration) *bool {
	if n >= 50_000 {
		return met(d <= 20*time.Microsecond)
	}
	return nil
}

// durability: the headline figures again with every write synced to disk.
func (b *bench) durability(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{syncAlways: true, projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	many, err := b.throughputOn(ctx, s, false)
	if err != nil {
		return err
	}
	c := newClient(8)
	if _, err := createProducts(ctx, c, s.apiURL, "hot", 1, 1_000_000_000); err != nil {
		return err
	}
	r := b.peak(ctx, s.apiURL, 64, pickOne("hot-0000"))
	v := rate(r, "201")
	b.rep.add(result{Scenario: hotScenario, Durability: s.opts.durability(),
		Figure: "reservations/s, 64 connections", Value: v, Unit: "/s",
		Baseline: "many products, 64 connections, same durability", BaseValue: many,
		Target: "≥ 80% of the many-products figure", Met: met(v >= 0.8*many),
		Notes: kinds(r) + "; " + lat(r)})
	return nil
}
