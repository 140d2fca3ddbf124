package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/cli"
	"github.com/tshop/tshop/internal/metrics"
	"github.com/tshop/tshop/notify"
	"github.com/tshop/tshop/webhook"
)

// Main is the notifier process, or one of its commands.
type Main struct {
	command  string
	nats     cli.NATS
	ops      cli.Ops
	replicas int
	cfg      notify.Config
	// parked
	reservation string
	// receive
	addr      string
	tolerance time.Duration

	log *slog.Logger
	out io.Writer
}

// NewMain parses args: an optional command (run, parked, receive), then
// flags, with the environment as defaults. It reads the webhook secret, and
// refuses to start without what the command needs.
func NewMain(args []string) (*Main, error) {
	m := &Main{command: "run", out: os.Stdout}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		m.command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("notifier "+m.command, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: notifier [run|parked|receive] [flags]\n\nflags of notifier %s:\n", m.command)
		fs.PrintDefaults()
	}
	var secretFile string
	secretFlag := func() {
		fs.StringVar(&secretFile, "webhook-secret-file", cli.Env("TSHOP_WEBHOOK_SECRET_FILE", ""),
			"file holding the webhook signing secret, at least 16 bytes (env TSHOP_WEBHOOK_SECRET_FILE); without it the secret is env TSHOP_WEBHOOK_SECRET")
	}
	replicas := func() {
		fs.IntVar(&m.replicas, "replicas", cli.EnvInt("TSHOP_REPLICAS", 1),
			"replicas of the notifier's own streams (progress and parked) when it creates them; 3 on a cluster (env TSHOP_REPLICAS)")
	}
	switch m.command {
	case "run":
		m.nats.Register(fs)
		m.ops.Register(fs)
		replicas()
		secretFlag()
		fs.StringVar(&m.cfg.URL, "webhook-url", cli.Env("TSHOP_WEBHOOK_URL", ""), "webhook every notification is posted to (env TSHOP_WEBHOOK_URL); required")
		fs.DurationVar(&m.cfg.RetryFor, "retry-for", cli.EnvDuration("TSHOP_WEBHOOK_RETRY_FOR", 24*time.Hour), "how long after its first attempt a notification is retried before it is parked (env TSHOP_WEBHOOK_RETRY_FOR)")
		fs.DurationVar(&m.cfg.RetryInitial, "retry-initial", cli.EnvDuration("TSHOP_WEBHOOK_RETRY_INITIAL", time.Second), "backoff after a first failure (random below it, full jitter), doubling with each (env TSHOP_WEBHOOK_RETRY_INITIAL)")
		fs.DurationVar(&m.cfg.RetryMax, "retry-max", cli.EnvDuration("TSHOP_WEBHOOK_RETRY_MAX", 10*time.Minute), "longest backoff between two attempts (env TSHOP_WEBHOOK_RETRY_MAX)")
		fs.DurationVar(&m.cfg.Timeout, "timeout", cli.EnvDuration("TSHOP_WEBHOOK_TIMEOUT", 10*time.Second), "bound on one attempt, connecting to reading the answer (env TSHOP_WEBHOOK_TIMEOUT)")
		fs.IntVar(&m.cfg.Concurrency, "concurrency", cli.EnvInt("TSHOP_NOTIFIER_CONCURRENCY", 16), "notifications sent at once by this process (env TSHOP_NOTIFIER_CONCURRENCY)")
	case "parked":
		m.nats.Register(fs)
		replicas()
		fs.StringVar(&m.reservation, "reservation", "", "list only this reservation's parked notifications")
	case "receive":
		secretFlag()
		fs.StringVar(&m.addr, "addr", cli.Env("TSHOP_RECEIVER_ADDR", "127.0.0.1:8090"), "address the receiver listens on (env TSHOP_RECEIVER_ADDR)")
		fs.DurationVar(&m.tolerance, "tolerance", cli.EnvDuration("TSHOP_RECEIVER_TOLERANCE", webhook.DefaultTolerance), "how far a request's timestamp may be from this clock (env TSHOP_RECEIVER_TOLERANCE)")
	default:
		return nil, fmt.Errorf("unknown command %q: want run, parked or receive", m.command)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if m.command != "parked" {
		secret, err := readSecret(secretFile)
		if err != nil {
			return nil, err
		}
		m.cfg.Secret = secret
	}
	if m.command == "run" {
		if err := m.cfg.Check(); err != nil {
			return nil, err
		}
	}
	m.log = cli.Logger("notifier")
	if m.command == "receive" {
		m.log = cli.Logger("receiver")
	}
	m.cfg.Logger = m.log
	return m, nil
}

// readSecret reads the webhook secret from file, or else from
// TSHOP_WEBHOOK_SECRET. Surrounding white space (a file's last newline) is
// not part of it.
func readSecret(file string) ([]byte, error) {
	var secret string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		secret = string(b)
	} else {
		secret = os.Getenv("TSHOP_WEBHOOK_SECRET")
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("no webhook secret: set TSHOP_WEBHOOK_SECRET or --webhook-secret-file")
	}
	if err := notify.CheckSecret([]byte(secret)); err != nil {
		return nil, err
	}
	return []byte(secret), nil
}

// Run does the command until it is done or ctx ends.
func (m *Main) Run(ctx context.Context) error {
	if m.command == "receive" {
		return m.receive(ctx)
	}
	nc, err := m.nats.Connect("tshop-notifier", m.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	// The api creates the event streams: this process's NATS user may
	// only look them up, so it waits for them.
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true, Replicas: m.replicas, Logger: m.log, Timeout: 2 * time.Second})
	if err != nil && ctx.Err() != nil {
		return nil // stopped while waiting for the streams
	}
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	if m.command == "parked" {
		return m.parked(ctx, es)
	}
	reg := metrics.NewRegistry()
	metrics.EventStore(reg, es)
	observe(reg, &m.cfg)
	n, err := notify.New(ctx, es, m.cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("open the notifier's streams: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { m.ops.Serve(ctx, m.log, metrics.Handler(reg)) })
	backlog := metrics.NewBacklog(reg)
	wg.Go(func() { backlog.Watch(ctx, es, eventstore.Reservations, notify.Durable, 5*time.Second, m.log) })
	m.log.Info("notifier running", "webhook", m.cfg.Redacted(), "concurrency", m.cfg.Concurrency,
		"timeout", m.cfg.Timeout.String(), "retry_for", m.cfg.RetryFor.String())
	n.Run(ctx)
	wg.Wait()
	m.log.Info("notifier stopped")
	return nil
}

// observe registers the notifier's metrics in reg and has cfg report to
// them.
func observe(reg *prometheus.Registry, cfg *notify.Config) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tshop_notification_attempts_total",
		Help: "Attempts at delivering a notification, by outcome: delivered, failed (retried later) or parked (the last attempt failed)."},
		[]string{"outcome"})
	delay := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tshop_notification_delay_seconds",
		Help:    "Time from a reservation's status change to its notification's delivery, retries included.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600}})
	reg.MustRegister(attempts, delay)
	for _, o := range []string{"delivered", "failed", "parked"} {
		attempts.WithLabelValues(o)
	}
	cfg.Observe = notify.Observers{
		Attempt:   func(outcome string) { attempts.WithLabelValues(outcome).Inc() },
		Delivered: func(d time.Duration) { delay.Observe(d.Seconds()) },
	}
}

// parked writes every parked notification (of one reservation, with
// --reservation) to m.out as a JSON line, oldest first, and how many to
// stderr.
func (m *Main) parked(ctx context.Context, es *eventstore.Store) error {
	enc := json.NewEncoder(m.out)
	enc.SetEscapeHTML(false)
	count := 0
	err := notify.ListParked(ctx, es, func(p notify.Parked) error {
		if m.reservation != "" && p.Notification.ReservationID != m.reservation {
			return nil
		}
		count++
		return enc.Encode(p)
	})
	if err != nil {
		return fmt.Errorf("list parked notifications: %w", err)
	}
	fmt.Fprintf(os.Stderr, "%d parked notification(s)\n", count)
	return nil
}
