package main

import (
	"sync"

	"context"
	"flag"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"time"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/cli"
	"github.com/tshop/tshop/internal/metrics"
	"github.com/tshop/tshop/shop"
)

// Main is the assigner process.
type Main struct {
	nats cli.NATS
	ops  cli.Ops
	log  *slog.Logger
}

// NewMain parses args and the environment.
func NewMain(args []string) (*Main, error) {
	m := &Main{}
	fs := flag.NewFlagSet("assigner", flag.ContinueOnError)
	m.nats.Register(fs)
	m.ops.Register(fs)
	fs.Int("replicas", cli.EnvInt("TSHOP_REPLICAS", 1), "ignored: the api creates the streams with its own --replicas; accepted so that one TSHOP_REPLICAS serves every process (env TSHOP_REPLICAS)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	m.log = cli.Logger("assigner")
	return m, nil
}

// Run assigns until ctx ends, then finishes what is in hand and returns.
func (m *Main) Run(ctx context.Context) error {
	nc, err := m.nats.Connect("tshop-assigner", m.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	// The api creates the streams: this process's NATS user may only
	// look them up, so it waits for them.
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true, Logger: m.log, Timeout: 2 * time.Second})
	if err != nil && ctx.Err() != nil {
		return nil // stopped while waiting for the streams
	}
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	reg := metrics.NewRegistry()
	metrics.EventStore(reg, es)
	assigned := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tshop_assignment_seconds",
		Help:    "Time from a reservation's placement to its acceptance by a store, as this assigner accepted it.",
		Buckets: []float64{.01, .025, .05, .1, .2, .5, 1, 2, 5, 10, 30, 60, 300}})
	reg.MustRegister(assigned)
	a := shop.New(es, &shop.Config{Logger: m.log, Observe: shop.Observers{Assigned: func(d time.Duration) { assigned.Observe(d.Seconds()) }}}).NewAssigner()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tshop_assigner_waiting",
		Help: "Reservations this assigner found no store with room for, waiting to be tried again as soon as one has."},
		func() float64 { return float64(a.Waiting()) }))
	var wg sync.WaitGroup
	wg.Go(func() { m.ops.Serve(ctx, m.log, metrics.Handler(reg)) })
	backlog := metrics.NewBacklog(reg)
	wg.Go(func() {
		var watch sync.WaitGroup
		for _, c := range shop.AssignerConsumers {
			watch.Go(func() { backlog.Watch(ctx, es, c.Kind, c.Durable, 5*time.Second, m.log) })
		}
		watch.Wait()
	})
	m.log.Info("assigner running")
	a.Run(ctx)
	wg.Wait()
	m.log.Info("assigner stopped")
	return nil
}
