package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tshop/tshop/breaker"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/cli"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// Config is everything the api is started with.
type Config struct {
	NATS     cli.NATS
	HTTP     string
	Replicas int
	Timeout  time.Duration
	Demo     bool
	// GroupCommit off makes every reservation its own append with retry:
	// the baseline group commit is measured against, never for service.
	GroupCommit bool
}

// Main is the api process: its connections, its server and its settings.
type Main struct {
	cfg   Config
	log   *slog.Logger
	Hooks shop.Hooks

	// addr receives the listening address once Run serves, for tests.
	addr chan net.Addr
}

// NewMain parses args (and the environment) into a Main.
func NewMain(args []string, stderr io.Writer) (*Main, error) {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	c.NATS.Register(fs)
	fs.StringVar(&c.HTTP, "http", cli.Env("TSHOP_HTTP", "127.0.0.1:8088"), "HTTP listen address (env TSHOP_HTTP)")
	fs.IntVar(&c.Replicas, "replicas", cli.EnvInt("TSHOP_REPLICAS", 1), "replicas of each stream if this process creates it: 1 on one server, 3 on a cluster (env TSHOP_REPLICAS)")
	fs.DurationVar(&c.Timeout, "timeout", cli.EnvDuration("TSHOP_TIMEOUT", 2*time.Second), "longest a request may take before it answers 503 (env TSHOP_TIMEOUT)")
	fs.BoolVar(&c.GroupCommit, "group-commit", cli.Env("TSHOP_GROUP_COMMIT", "1") != "0", "commit concurrent reservations of a product together; off only to measure what it buys (env TSHOP_GROUP_COMMIT=0)")
	fs.BoolVar(&c.Demo, "demo", cli.Env("TSHOP_DEMO", "") == "1", "load the demo catalog and store directory if they are missing (env TSHOP_DEMO=1)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Timeout < 100*time.Millisecond {
		return nil, fmt.Errorf("--timeout must be at least 100ms")
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("process", "api")
	return &Main{cfg: c, log: log, addr: make(chan net.Addr, 1)}, nil
}

// Run connects to NATS, makes sure the streams exist, and serves HTTP until
// ctx ends; then it finishes in-flight requests and returns nil.
func (m *Main) Run(ctx context.Context) error {
	nc, err := m.cfg.NATS.Connect("tshop-api", m.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	// Each store call gets half the request budget, so a request that
	// needs two calls still answers within it.
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{Replicas: m.cfg.Replicas, Timeout: m.cfg.Timeout / 2, Logger: m.log})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	svc := shop.New(es, &shop.Config{Logger: m.log, Hooks: m.Hooks, DisableGroupCommit: !m.cfg.GroupCommit})
	brk := breaker.New(&breaker.Config{OnChange: func(from, to breaker.State) {
		m.log.Warn("circuit breaker changed", "from", from.String(), "to", to.String())
	}})
	if m.cfg.Demo {
		if err := loadDemo(ctx, svc, m.log); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
	}
	a := &api{svc: svc, views: projections.NewClient(nc, m.cfg.Timeout), es: es, breaker: brk, log: m.log, timeout: m.cfg.Timeout, connected: nc.IsConnected}
	ln, err := net.Listen("tcp", m.cfg.HTTP)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      m.cfg.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { svc.Run(bg) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	m.log.Info("api listening", "addr", ln.Addr().String(), "nats", nc.ConnectedUrlRedacted())
	m.addr <- ln.Addr()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopBG()
		wg.Wait()
		return err
	}
	m.log.Info("api shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), m.cfg.Timeout+5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
