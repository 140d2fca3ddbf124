package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// config is one chaos run.
type config struct {
	duration time.Duration
	cluster  bool
	seed     uint64
	bin      string
	root     string
	dir      string // empty: a temporary directory, removed after a clean run
	keep     bool
	workers  int
	every    time.Duration // the longest wait between two faults
	settle   time.Duration // the longest wait for the system to finish its work
	out      io.Writer
}

// finalStores are added after the faults, with room for every reservation.
const finalStores = 8

// result is what a run found.
type result struct {
	violations []violation
	dir        string
}

// run starts the system, drives the workload while killing processes, lets
// everything catch up, checks every invariant and prints a report.
func run(ctx context.Context, cfg config) (result, error) {
	res := result{dir: cfg.dir}
	if res.dir == "" {
		d, err := os.MkdirTemp("", "tshop-chaos")
		if err != nil {
			return res, err
		}
		res.dir = d
	} else if err := os.MkdirAll(res.dir, 0o755); err != nil {
		return res, err
	}
	mode := "single NATS server, R1 streams"
	if cfg.cluster {
		mode = "3-node NATS cluster, R3 streams"
	}
	fmt.Fprintf(cfg.out, "chaos: seed %d, %s, %s of faults, data and logs in %s\n", cfg.seed, mode, cfg.duration, res.dir)
	s, err := startSystem(ctx, sysConfig{bin: cfg.bin, root: cfg.root, dir: res.dir, cluster: cfg.cluster, apis: 2, projectors: 2, assigners: 2})
	if err != nil {
		return res, fmt.Errorf("start the system: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			s.stop()
		}
	}()
	l := newLedger()
	w := &workload{c: newClient(s.apis, l), customers: 40, workers: cfg.workers, think: 30 * time.Millisecond}
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5e7))
	if err := w.setup(ctx, rng, 5, 8); err != nil {
		return res, fmt.Errorf("set up products and stores: %w", err)
	}
	ev := newEvents(cfg.out)
	in := newInjector(s, ev, l, cfg.seed, cfg.every)
	ev.note("workload and faults start")
	wctx, stop := context.WithTimeout(ctx, cfg.duration)
	done := make(chan struct{})
	go func() { w.run(wctx, cfg.seed); close(done) }()
	in.run(wctx)
	<-done
	stop()
	ev.note("workload and faults stop; restarting whatever is down")
	defer in.halt()
	if err := in.finish(ctx); err != nil {
		return res, err
	}
	if err := s.nats.WaitReady(ctx, 2*time.Minute); err != nil {
		return res, err
	}
	for _, a := range s.apis {
		if err := waitReady(ctx, a, 2*time.Minute, true); err != nil {
			return res, err
		}
	}
	// Stores with room for everything, across the city: from now on every
	// placed reservation must be accepted.
	for i := range finalStores {
		if err := w.addStore(ctx, rng, fmt.Sprintf("chaos-store-final-%d", i+1), 5_000); err != nil {
			return res, err
		}
	}
	ev.note("added %d stores with room for every reservation; waiting for the system to settle", finalStores)
	v, err := settle(ctx, s, cfg.settle, ev)
	if err != nil {
		return res, err
	}
	res.violations = append(res.violations, checkLog(v, l)...)
	res.violations = append(res.violations, l.violations()...)
	for _, p := range s.projectors {
		vctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		if err := s.verify(vctx, p); err != nil {
			res.violations = append(res.violations, violation{kind: "read model", detail: err.Error()})
		}
		cancel()
	}
	ev.note("projector verify done on %d read models", len(s.projectors))
	for _, a := range s.apis {
		res.violations = append(res.violations, compareAPI(ctx, w.c, a, v, rng, 300)...)
	}
	ev.note("api answers compared with the log")
	in.measure()
	in.halt()
	stopped = true
	for _, err := range s.stop() {
		res.violations = append(res.violations, violation{kind: "shutdown", detail: err.Error()})
	}
	ev.mu.Lock()
	res.violations = append(res.violations, ev.crashes...)
	ev.parked = countInLogs(s.procs(), "parked")
	ev.mu.Unlock()
	report(cfg, res.dir, mode, l, ev, v, res.violations)
	if len(res.violations) == 0 && cfg.dir == "" && !cfg.keep {
		removeAll(res.dir)
	}
	return res, nil
}

// settle reads the log until nothing is left unfinished or the time is up,
// and returns the last read.
func settle(ctx context.Context, s *system, limit time.Duration, ev *events) (*logView, error) {
	deadline := time.Now().Add(limit)
	start, lastNote := time.Now(), time.Now()
	for {
		v, err := readLog(ctx, s.es)
		if err != nil {
			return nil, err
		}
		left := unsettled(v)
		if len(left) == 0 {
			ev.note("settled after %.1fs", time.Since(start).Seconds())
			return v, nil
		}
		if time.Now().After(deadline) {
			ev.note("not settled after %s: %d things unfinished", limit, len(left))
			return v, nil
		}
		if time.Since(lastNote) >= 10*time.Second {
			lastNote = time.Now()
			ev.note("%d things unfinished, such as %s", len(left), left[0])
		}
		sleep(ctx, 2*time.Second)
	}
}

// report prints what the run did and found.
func report(cfg config, dir, mode string, l *ledger, ev *events, v *logView, violations []violation) {
	out := cfg.out
	fmt.Fprintf(out, "\n== chaos report: seed %d, %s, %s ==\n", cfg.seed, mode, cfg.duration)
	fmt.Fprintln(out, "requests by outcome:")
	for _, line := range l.outcomes() {
		fmt.Fprintln(out, "  "+line)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	fmt.Fprintf(out, "kills (SIGKILL): %s\n", counts(ev.kills))
	if len(ev.stops) > 0 {
		fmt.Fprintf(out, "planned stops (SIGTERM): %s\n", counts(ev.stops))
	}
	fmt.Fprintf(out, "restarts: %s\n", counts(ev.restarts))
	fmt.Fprintf(out, "exits on their own (restarted): %s\n", counts(ev.selfExits))
	fmt.Fprintf(out, "messages parked by a consumer (never delivered again; logged): %s\n", counts(ev.parked))
	if len(ev.nats) > 0 {
		fmt.Fprintln(out, "NATS kills and stops, and write availability (from the fault to the 201 of the first reservation sent after it; aim: within 5s):")
		var crashes, planned, afterLeader []time.Duration
		for _, k := range ev.nats {
			what := k.server
			if len(k.leads) > 0 {
				what += " (led " + strings.Join(k.leads, ", ") + ")"
			} else if cfg.cluster {
				what += " (led nothing)"
			}
			verb := "kill"
			if k.planned {
				verb = "stop"
			}
			down := "-"
			if !k.restarted.IsZero() {
				down = k.restarted.Sub(k.at).Round(10 * time.Millisecond).String()
			}
			first := "none before the workload ended"
			if k.firstWrite > 0 {
				first = k.firstWrite.Round(10 * time.Millisecond).String()
				if cfg.cluster && k.planned {
					planned = append(planned, k.firstWrite)
				} else if cfg.cluster {
					crashes = append(crashes, k.firstWrite)
					if at, ok := k.writable(); ok {
						afterLeader = append(afterLeader, k.firstWrite-at)
					}
				}
			}
			var elected []string
			for _, l := range k.leads {
				if d, ok := k.elected[l]; ok {
					elected = append(elected, fmt.Sprintf("%s %s", l, d.Round(10*time.Millisecond)))
				} else {
					elected = append(elected, l+" none in 60s")
				}
			}
			fmt.Fprintf(out, "  at %6.2fs  %s %-58s down %-8s first 201 after %s\n", k.at.Sub(ev.start).Seconds(), verb, what, down, first)
			if len(elected) > 0 {
				fmt.Fprintf(out, "             new leader after: %s\n", strings.Join(elected, ", "))
			}
		}
		if len(planned) > 0 {
			fmt.Fprintf(out, "failover, planned (SIGTERM: the node hands its leaderships over): writes back after %s\n", spread(planned, 5*time.Second))
		}
		if len(crashes) > 0 {
			fmt.Fprintf(out, "failover, crash (kill -9: the others elect after nats-server's raft election timeout, 4 to 9 s): writes back after %s\n", spread(crashes, 5*time.Second))
		}
		if len(afterLeader) > 0 {
			fmt.Fprintf(out, "  of which after the streams a reservation writes had leaders again (Tshop's share): %s\n", spread(afterLeader, 0))
		}
		if len(planned)+len(crashes) == 0 && !cfg.cluster {
			fmt.Fprintln(out, "(single server: writes wait for the restart; the time includes the server's downtime)")
		}
	}
	if v != nil {
		held, cancelled, accepted, placed, fulfilled := 0, 0, 0, 0, 0
		for _, r := range v.reservations {
			switch r.Status {
			case "CANCELLED":
				cancelled++
			case "ACCEPTED":
				accepted++
			case "PLACED":
				placed++
			case "FULFILLED":
				fulfilled++
			}
		}
		held = len(v.holdOf)
		fmt.Fprintf(out, "log: %d products, %d stores, %d units held, %d reservations (%d accepted, %d fulfilled, %d cancelled, %d placed); streams end at %v\n",
			len(v.products), len(v.stores), held, len(v.reservations), accepted, fulfilled, cancelled, placed, v.ends)
		fmt.Fprintf(out, "acknowledged reservations (201): %d, Idempotency-Keys: %d\n", len(l.acked), len(l.keys))
	}
	if len(violations) == 0 {
		fmt.Fprintln(out, "violations: none")
		return
	}
	fmt.Fprintf(out, "VIOLATIONS: %d\n", len(violations))
	byKind := map[string]int{}
	for _, x := range violations {
		byKind[x.kind]++
	}
	fmt.Fprintf(out, "  by kind: %s\n", counts(byKind))
	for i, x := range violations {
		if i == 200 {
			fmt.Fprintf(out, "  … and %d more\n", len(violations)-i)
			break
		}
		fmt.Fprintln(out, "  - "+strings.ReplaceAll(x.String(), "\n", "\n    "))
	}
	fmt.Fprintf(out, "logs of every process: %s (run again with --seed %d)\n", dir, cfg.seed)
}

// countInLogs counts, per process, the lines of its log that contain what.
func countInLogs(ps []*proc, what string) map[string]int {
	n := map[string]int{}
	for _, p := range ps {
		data, err := os.ReadFile(p.LogPath())
		if err != nil {
			continue
		}
		if c := strings.Count(string(data), what); c > 0 {
			n[p.Name()] = c
		}
	}
	return n
}

// spread sums durations up as their median and worst, against an aim
// (none when 0).
func spread(ds []time.Duration, aim time.Duration) string {
	slices.Sort(ds)
	worst := ds[len(ds)-1]
	out := fmt.Sprintf("median %s, worst %s of %d", ds[len(ds)/2].Round(10*time.Millisecond), worst.Round(10*time.Millisecond), len(ds))
	switch {
	case aim == 0:
		return out
	case worst > aim:
		return out + fmt.Sprintf(": MISSES the %s aim", aim)
	}
	return out + fmt.Sprintf(": within the %s aim", aim)
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	total := 0
	for k, n := range m {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
