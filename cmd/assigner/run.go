package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/cli"
	"github.com/tshop/tshop/shop"
)

// Main is the assigner process.
type Main struct {
	nats     cli.NATS
	replicas int
	log      *slog.Logger
}

// NewMain parses args and the environment.
func NewMain(args []string) (*Main, error) {
	m := &Main{}
	fs := flag.NewFlagSet("assigner", flag.ContinueOnError)
	m.nats.Register(fs)
	fs.IntVar(&m.replicas, "replicas", cli.EnvInt("TSHOP_REPLICAS", 1), "replicas of each stream if this process creates it: 1 on one server, 3 on a cluster (env TSHOP_REPLICAS)")
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
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{Replicas: m.replicas, Logger: m.log, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	m.log.Info("assigner running")
	shop.New(es, &shop.Config{Logger: m.log}).NewAssigner().Run(ctx)
	m.log.Info("assigner stopped")
	return nil
}
