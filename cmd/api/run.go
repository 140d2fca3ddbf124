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

// breakerCooldown is how long the api answers 503 at once, without trying
// NATS, after the breaker opens, before one request probes again. Short,
// because what usually opens it on a cluster is a stream leader lost: the
// new one is elected 4 to 9 seconds later (nats-server's fixed raft
// election timeout) and every moment the breaker stays open after that
// adds to the outage. A probe every half second costs NATS nothing.
const breakerCooldown = 500 * time.Millisecond

// Config is everything the api is started with.
type Config struct {
	NATS     cli.NATS
	Ops      cli.Ops
	HTTP     string
	Replicas int
	Timeout  time.Duration
	Demo     bool
	// JWTSecret, when set, makes every request but the health checks carry
	// an HS256 bearer token signed with it. From the environment only, so
	// it never shows in a process listing.
	JWTSecret string
	// MaxInflight bounds the requests served at once; beyond it, 503.
	MaxInflight int
	// CustomerRate and CustomerBurst bound each customer's reservation
	// attempts (a second, and at once); a rate of 0 turns the bound off.
	CustomerRate  float64
	CustomerBurst int
	// HeaderTimeout and ReadTimeout bound how long a client may take to
	// send a request's headers and the whole request: a slow client cannot
	// hold a connection for ever.
	HeaderTimeout time.Duration
	ReadTimeout   time.Duration
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
	c.Ops.Register(fs)
	fs.StringVar(&c.HTTP, "http", cli.Env("TSHOP_HTTP", "127.0.0.1:8088"), "HTTP listen address (env TSHOP_HTTP)")
	fs.IntVar(&c.Replicas, "replicas", cli.EnvInt("TSHOP_REPLICAS", 1), "replicas of each stream if this process creates it: 1 on one server, 3 on a cluster (env TSHOP_REPLICAS)")
	fs.DurationVar(&c.Timeout, "timeout", cli.EnvDuration("TSHOP_TIMEOUT", 2*time.Second), "longest a request may take before it answers 503 (env TSHOP_TIMEOUT)")
	fs.BoolVar(&c.GroupCommit, "group-commit", cli.Env("TSHOP_GROUP_COMMIT", "1") != "0", "commit concurrent reservations of a product together; off only to measure what it buys (env TSHOP_GROUP_COMMIT=0)")
	fs.IntVar(&c.MaxInflight, "max-inflight", cli.EnvInt("TSHOP_MAX_INFLIGHT", 4096), "requests served at once; beyond it the api answers 503 at once (env TSHOP_MAX_INFLIGHT)")
	fs.Float64Var(&c.CustomerRate, "customer-rate", cli.EnvFloat("TSHOP_CUSTOMER_RATE", 5), "reservation attempts a second each customer may make, per api instance; 0 for no limit (env TSHOP_CUSTOMER_RATE)")
	fs.IntVar(&c.CustomerBurst, "customer-burst", cli.EnvInt("TSHOP_CUSTOMER_BURST", 20), "reservation attempts a customer may make at once before --customer-rate applies (env TSHOP_CUSTOMER_BURST)")
	fs.DurationVar(&c.HeaderTimeout, "header-timeout", cli.EnvDuration("TSHOP_HEADER_TIMEOUT", 5*time.Second), "longest a client may take to send a request's headers (env TSHOP_HEADER_TIMEOUT)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", cli.EnvDuration("TSHOP_READ_TIMEOUT", 10*time.Second), "longest a client may take to send a whole request (env TSHOP_READ_TIMEOUT)")
	fs.BoolVar(&c.Demo, "demo", cli.Env("TSHOP_DEMO", "") == "1", "load the demo catalog and store directory if they are missing (env TSHOP_DEMO=1)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of api:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "  env TSHOP_JWT_SECRET\n    \tHS256 secret of the bearer tokens every request must carry; unset, the api runs open\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.JWTSecret = cli.Env("TSHOP_JWT_SECRET", "")
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Timeout < 100*time.Millisecond {
		return nil, fmt.Errorf("--timeout must be at least 100ms")
	}
	if c.MaxInflight < 1 {
		return nil, fmt.Errorf("--max-inflight must be at least 1")
	}
	if c.CustomerRate < 0 || c.CustomerBurst < 1 {
		return nil, fmt.Errorf("--customer-rate must not be negative and --customer-burst must be at least 1")
	}
	if c.HeaderTimeout <= 0 || c.ReadTimeout < c.HeaderTimeout {
		return nil, fmt.Errorf("--header-timeout must be positive and --read-timeout at least as long")
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
	var brk *breaker.Breaker
	met := newAPIMetrics(es, func() breaker.State { return brk.State() })
	svc := shop.New(es, &shop.Config{Logger: m.log, Hooks: m.Hooks, DisableGroupCommit: !m.cfg.GroupCommit,
		Observe: shop.Observers{Committed: func(n int) { met.batch.Observe(float64(n)) }}})
	brk = breaker.New(&breaker.Config{Cooldown: breakerCooldown, OnChange: func(from, to breaker.State) {
		m.log.Warn("circuit breaker changed", "from", from.String(), "to", to.String())
	}})
	if m.cfg.Demo {
		if err := loadDemo(ctx, svc, m.log); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
	}
	a := &api{svc: svc, views: projections.NewClient(nc, m.cfg.Timeout), es: es, breaker: brk, log: m.log, timeout: m.cfg.Timeout, connected: nc.IsConnected,
		limiter: newCustomerLimiter(m.cfg.CustomerRate, m.cfg.CustomerBurst, time.Now), maxInflight: m.cfg.MaxInflight, metrics: met}
	if a.relay, err = newRelay(nc, &relayConfig{MaxClients: relayLimit(m.cfg.MaxInflight), Logger: m.log}); err != nil {
		return err
	}
	defer a.relay.Close()
	if m.cfg.JWTSecret != "" {
		a.auth = newAuthenticator(m.cfg.JWTSecret)
		if len(m.cfg.JWTSecret) < 32 {
			m.log.Warn("TSHOP_JWT_SECRET is shorter than 32 bytes: tokens are easier to forge than they should be")
		}
	} else {
		m.log.Warn("TSHOP_JWT_SECRET is not set: the api runs open, without authentication")
	}
	ln, err := net.Listen("tcp", m.cfg.HTTP)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: m.cfg.HeaderTimeout,
		ReadTimeout:       m.cfg.ReadTimeout,
		WriteTimeout:      m.cfg.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.relay.Close) // end the pages' streams: they never hang up
	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { svc.Run(bg) })
	wg.Go(func() { m.cfg.Ops.Serve(bg, m.log, met.handler()) })
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
