package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/cli"
	"github.com/tshop/tshop/internal/metrics"
	"github.com/tshop/tshop/projections"
)

// errDifferences is verify's failure: the read model differs from a replay.
var errDifferences = errors.New("read model differs from a fresh replay")

// Main is the projector process.
type Main struct {
	command string
	nats    cli.NATS
	ops     cli.Ops
	db      string
	maxWait time.Duration
	log     *slog.Logger
	out     *os.File
}

// NewMain parses args: an optional command (run, rebuild, verify), then
// flags.
func NewMain(args []string) (*Main, error) {
	m := &Main{command: "run", out: os.Stderr}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		m.command, args = args[0], args[1:]
	}
	switch m.command {
	case "run", "rebuild", "verify":
	default:
		return nil, fmt.Errorf("unknown command %q: want run, rebuild or verify", m.command)
	}
	fs := flag.NewFlagSet("projector "+m.command, flag.ContinueOnError)
	m.nats.Register(fs)
	m.ops.Register(fs)
	fs.StringVar(&m.db, "db", cli.Env("TSHOP_DB", "data/projector.db"), "read model file (env TSHOP_DB)")
	fs.Int("replicas", cli.EnvInt("TSHOP_REPLICAS", 1), "ignored: the api creates the streams with its own --replicas; accepted so that one TSHOP_REPLICAS serves every process (env TSHOP_REPLICAS)")
	fs.DurationVar(&m.maxWait, "max-wait", cli.EnvDuration("TSHOP_MAX_WAIT", 2*time.Second), "longest a query waits for the read model to reach its position (env TSHOP_MAX_WAIT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	m.log = cli.Logger("projector")
	return m, nil
}

// Run does the command until it is done or ctx ends.
func (m *Main) Run(ctx context.Context) error {
	nc, err := m.nats.Connect("tshop-projector", m.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	// The api creates the streams: this process's NATS user may only
	// look them up, so it waits for them.
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true, Logger: m.log, Timeout: 5 * time.Second})
	if err != nil && ctx.Err() != nil {
		return nil // stopped while waiting for the streams
	}
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	switch m.command {
	case "rebuild":
		return m.rebuild(ctx, es, nc)
	case "verify":
		return m.verify(ctx, es, nc)
	}
	return m.serve(ctx, es, nc)
}

func (m *Main) serve(ctx context.Context, es *eventstore.Store, nc *nats.Conn) error {
	db, err := projections.Open(m.db, m.log)
	if err != nil {
		return err
	}
	defer db.Close()
	p := projections.NewProjector(es, db, m.log)
	p.PublishChanges(nc)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	serveErr := make(chan error, 1)
	wg.Go(func() {
		serveErr <- projections.Serve(ctx, nc, db, projections.ServiceConfig{MaxWait: m.maxWait, Lag: p.Lag, Swap: p.Replace, End: es.LastSeq, Logger: m.log, Ready: func() {
			m.log.Info("projector serving", "db", m.db, "checkpoints", fmt.Sprint(db.Checkpoints()))
		}})
	})
	wg.Go(func() { m.reportLag(ctx, p) })
	reg := metrics.NewRegistry()
	reg.MustRegister(newLagCollector(p.Lag))
	wg.Go(func() { m.ops.Serve(ctx, m.log, metrics.Handler(reg)) })
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if err != nil {
			return err
		}
	}
	wg.Wait()
	m.log.Info("projector stopped", "checkpoints", fmt.Sprint(db.Checkpoints()))
	return nil
}

// reportLag logs how far behind the log the read model is, every 10 s.
func (m *Main) reportLag(ctx context.Context, p *projections.Projector) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for stream, lag := range p.Lag() {
				m.log.Info("lag", "stream", stream, "events", lag.Events, "seconds", lag.Seconds, "checkpoint", lag.Checkpoint)
			}
		case <-ctx.Done():
			return
		}
	}
}

func (m *Main) rebuild(ctx context.Context, es *eventstore.Store, nc *nats.Conn) error {
	bar := newProgress(m.out, "rebuild")
	start := time.Now()
	if err := projections.Rebuild(ctx, es, nc, m.db, bar.update, m.log); err != nil {
		bar.done()
		return err
	}
	bar.done()
	fi, _ := os.Stat(m.db)
	m.log.Info("rebuilt", "db", m.db, "events", bar.applied, "seconds", time.Since(start).Seconds(), "bytes", size(fi))
	return nil
}

func (m *Main) verify(ctx context.Context, es *eventstore.Store, nc *nats.Conn) error {
	bar := newProgress(m.out, "verify")
	n, err := projections.Verify(ctx, es, nc, m.db, func(d projections.Difference) {
		bar.clear()
		fmt.Fprintln(os.Stdout, d)
	}, bar.update, m.log)
	bar.done()
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%w: %d differences", errDifferences, n)
	}
	fmt.Fprintln(os.Stdout, "read model equals a fresh replay")
	return nil
}

func size(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}
