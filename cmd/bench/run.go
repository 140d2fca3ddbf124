package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/load"
)

type config struct {
	quick                bool
	bin, conf, out, only string
	// profile, when set, is where CPU profiles of every process are
	// written during the headline runs.
	profile string
	log     *slog.Logger
}

// sizes are the lengths and counts of a run: full or quick.
type sizes struct {
	warm, run   time.Duration
	products    int
	memory      int // reservations before measuring memory and rebuilding
	oldEvents   int // prior events of the old product
	storeCounts []int
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{warm: 500 * time.Millisecond, run: 2 * time.Second, products: 100, memory: 20_000, oldEvents: 20_000, storeCounts: []int{10_000}}
	}
	return sizes{warm: 3 * time.Second, run: 15 * time.Second, products: 1000, memory: 1_000_000, oldEvents: 1_000_000, storeCounts: []int{10_000, 50_000}}
}

// bench holds what the scenarios share.
type bench struct {
	cfg  config
	sz   sizes
	rep  *report
	self string // this executable, to run the ceiling server
	// figures later scenarios compare with
	ceiling, manyPeak, hotPeak float64
	openRun                    load.Result
	// CPU time per operation, every process that does it together, in µs
	cpuHTTP, cpuAppend, cpuRead float64
}

func run(ctx context.Context, cfg config) (*report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, sz: sizesFor(cfg.quick), rep: newReport(cfg.quick), self: self}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"throughput", b.throughput},
		{"contention", b.contention},
		{"latency", b.latency},
		{"history", b.longHistory},
		{"memory-and-rebuild", b.memoryAndRebuild},
		{"store-choice", b.storeChoice},
		{"durability", b.durability},
	}
	for _, s := range steps {
		if cfg.only != "" && !slices.ContainsFunc(strings.Split(cfg.only, ","), func(o string) bool { return strings.Contains(s.name, o) }) {
			continue
		}
		cfg.log.Info("scenario", "name", s.name)
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return b.rep, fmt.Errorf("%s: %w", s.name, err)
		}
		cfg.log.Info("scenario done", "name", s.name, "took", time.Since(start).Round(time.Second))
	}
	return b.rep, nil
}

// system starts NATS, the api and, with full, a projector and an assigner.
func (b *bench) system(ctx context.Context, o sysOpts) (*system, error) {
	o.bin, o.conf, o.profile = b.cfg.bin, b.cfg.conf, b.cfg.profile != ""
	return startSystem(ctx, o)
}

// ceilingURL starts the HTTP-ceiling server beside s.
func (b *bench) startCeiling(s *system) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	log, err := os.Create(filepath.Join(s.dir, "ceiling.log"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command(b.self, "ceiling", "--http", addr)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return "", err
	}
	s.procs["ceiling"], s.logs["ceiling"] = cmd, log
	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Post(url+"/reservations", "application/json", strings.NewReader(`{}`)); err == nil {
			res.Body.Close()
			return url, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("ceiling server did not start")
}

// peak runs a closed loop of conns clients reserving pick() and returns the
// result.
func (b *bench) peak(ctx context.Context, url string, conns int, pick func() string) load.Result {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	return load.Run(ctx, load.Config{Conns: conns, Duration: b.sz.run, Warmup: b.sz.warm}, reserve(c, url, pick))
}

func pickOne(id string) func() string { return func() string { return id } }

func pickAny(ids []string) func() string {
	return func() string { return ids[rand.IntN(len(ids))] }
}

// kinds formats errors and outcomes by kind.
func kinds(r load.Result) string {
	var parts []string
	for k, n := range r.Kinds {
		parts = append(parts, fmt.Sprintf("%s: %d", k, n))
	}
	sortStrings(parts)
	return strings.Join(parts, ", ")
}

func lat(r load.Result) string {
	return fmt.Sprintf("p50 %s, p99 %s, p99.9 %s, max %s", ms(r.Quantile(0.5)), ms(r.Quantile(0.99)), ms(r.Quantile(0.999)), ms(r.Max()))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// rate is the completions per second of one kind of outcome.
func rate(r load.Result, kind string) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Kinds[kind]) / r.Elapsed.Seconds()
}

// settle waits, up to a minute, until the system has done the work earlier
// runs left it: every durable consumer has been handed everything (a
// placement waiting for a store stays handed out, unacked, and comes back
// now and then, which settling cannot wait out) and the projector, if one
// runs, has caught up. A run measured while the previous one's backlog
// drains would measure both: the sold-out run right after the contention
// runs ranged from 0.58 to 0.85 of the HTTP ceiling.
func (b *bench) settle(ctx context.Context, s *system) error {
	nc, err := s.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		pending, err := consumersPending(ctx, js)
		if err == nil && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the system did not settle in a minute: %d messages not handed to their consumers (%v)", pending, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if s.opts.projector {
		return waitCaughtUp(ctx, s, time.Until(deadline)+10*time.Second)
	}
	return nil
}

// consumersPending counts the messages not yet handed to the durable
// consumers of every Tshop stream that can take more.
func consumersPending(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	var pending uint64
	for _, k := range eventstore.Kinds() {
		st, err := js.Stream(ctx, k.Stream())
		if err != nil {
			return 0, err
		}
		infos := st.ListConsumers(ctx)
		for info := range infos.Info() {
			// A consumer at its MaxAckPending (the assigner's, with no
			// store to place the waiting reservations in) hands out
			// nothing more until one is acked: what it holds back costs
			// nothing and would never drain.
			if limit := info.Config.MaxAckPending; limit > 0 && info.NumAckPending >= limit {
				continue
			}
			pending += info.NumPending
		}
		if err := infos.Err(); err != nil {
			return 0, err
		}
	}
	return pending, nil
}
