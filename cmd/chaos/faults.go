package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natsproc"
)

// events records what the fault injector did and what happened to the
// processes, and prints each as it happens.
type events struct {
	mu        sync.Mutex
	start     time.Time
	w         io.Writer
	kills     map[string]int
	stops     map[string]int
	restarts  map[string]int
	selfExits map[string]int
	crashes   []violation
	nats      []*natsKill
	parked    map[string]int
}

// natsKill is one kill or planned stop of a NATS server and what writes
// did after it.
type natsKill struct {
	server string
	// planned is set for a stop with SIGTERM, which hands the server's
	// leaderships to others at once; a kill -9 leaves the others to elect
	// new leaders after their election timeout.
	planned  bool
	leaderOf string // the stream it was chosen for leading, if any
	// leads lists what it led when killed: streams, and "meta" for the
	// cluster's metadata.
	leads []string
	// elected is how long after the kill each of those had a new leader.
	elected   map[string]time.Duration
	at        time.Time
	restarted time.Time
	// firstWrite is how long after the kill the first reservation sent
	// after it got its 201; 0 when none did.
	firstWrite time.Duration
}

func newEvents(w io.Writer) *events {
	return &events{start: time.Now(), w: w, kills: map[string]int{}, stops: map[string]int{}, restarts: map[string]int{}, selfExits: map[string]int{}}
}

func (e *events) note(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.w, "%7.2fs  %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

func (e *events) kill(name string) {
	e.mu.Lock()
	e.kills[name]++
	e.mu.Unlock()
	e.note("kill -9 %s", name)
}

func (e *events) stop(name string) {
	e.mu.Lock()
	e.stops[name]++
	e.mu.Unlock()
	e.note("stop (SIGTERM) %s", name)
}

func (e *events) restart(name string) {
	e.mu.Lock()
	e.restarts[name]++
	e.mu.Unlock()
	e.note("restarted %s", name)
}

func (e *events) selfExit(name string, err error, crash bool, tail string) {
	e.mu.Lock()
	e.selfExits[name]++
	if crash {
		e.crashes = append(e.crashes, violation{kind: "crash", detail: fmt.Sprintf("%s died on its own (%v):\n%s", name, err, tail)})
	}
	e.mu.Unlock()
	e.note("%s exited on its own: %v", name, err)
}

// injector kills random processes at random moments.
type injector struct {
	s    *system
	ev   *events
	l    *ledger
	rng  *rand.Rand
	sups map[string]*supervisor
	// every is the longest wait between two faults.
	every time.Duration
	// natsIdle is false while a killed NATS server is down or catching up.
	natsMu    sync.Mutex
	natsBusy  bool
	natsKills int
	wg        sync.WaitGroup
}

func newInjector(s *system, ev *events, l *ledger, seed uint64, every time.Duration) *injector {
	in := &injector{s: s, ev: ev, l: l, rng: rand.New(rand.NewPCG(seed, 0xfa17)), sups: map[string]*supervisor{}, every: every}
	for _, p := range s.procs() {
		in.sups[p.Name()] = supervise(p.Process, ev)
	}
	for _, n := range s.nats.Servers {
		in.sups[n.Name()] = supervise(n.Process(), ev)
	}
	return in
}

// run injects faults until ctx ends. The first is a NATS kill, and none
// comes in the last 15 seconds, so that every one is measured.
func (in *injector) run(ctx context.Context) {
	end, _ := ctx.Deadline()
	for n := 0; ; n++ {
		sleep(ctx, in.every/4+time.Duration(in.rng.Int64N(int64(in.every))))
		if ctx.Err() != nil {
			return
		}
		natsOK := in.natsReady() && (end.IsZero() || time.Until(end) > 15*time.Second)
		switch r := in.rng.IntN(100); {
		case natsOK && (n == 0 || r < 30):
			in.killNATS(ctx)
		case r < 40:
			// Two processes at once.
			in.killProc()
			in.killProc()
		default:
			in.killProc()
		}
	}
}

func (in *injector) killProc() {
	ps := in.s.procs()
	p := ps[in.rng.IntN(len(ps))]
	in.sups[p.Name()].kill(time.Duration(300+in.rng.IntN(2700)) * time.Millisecond)
}

// natsReady reports whether a NATS server may be killed now: none is down
// or catching up, and every api runs, so that the time to the next 201
// measures NATS alone.
func (in *injector) natsReady() bool {
	in.natsMu.Lock()
	defer in.natsMu.Unlock()
	if in.natsBusy {
		return false
	}
	for _, a := range in.s.apis {
		if !a.Running() {
			return false
		}
	}
	return true
}

// killNATS kills (or, now and then on a cluster, stops) a NATS server: on a cluster most often the leader of the
// stream every reservation writes first, TSHOP_PRODUCTS, or of
// TSHOP_RESERVATIONS. It waits until a reservation sent after the kill has
// its 201 (or 20 seconds), so that no other fault blurs the measure, and
// in the background restarts the server and waits until it has caught up.
func (in *injector) killNATS(ctx context.Context) {
	var victim *natsproc.Server
	k := &natsKill{}
	if len(in.s.nats.Servers) == 1 {
		victim = in.s.nats.Servers[0]
	} else {
		stream := ""
		switch r := in.rng.IntN(4); {
		case in.natsKills == 0 || r < 2:
			stream = eventstore.Products.Stream()
		case r < 3:
			stream = eventstore.Reservations.Stream()
		}
		if stream != "" {
			if l, err := in.s.nats.Leader(ctx, in.s.ops, stream); err == nil {
				victim, k.leaderOf = l, stream
			} else {
				in.ev.note("leader of %s unknown (%v); killing a random node", stream, err)
			}
		}
		if victim == nil {
			victim = in.s.nats.Servers[in.rng.IntN(len(in.s.nats.Servers))]
		}
	}
	if len(in.s.nats.Servers) > 1 {
		for _, kind := range eventstore.Kinds() {
			if l, err := in.s.nats.Leader(ctx, in.s.ops, kind.Stream()); err == nil && l == victim {
				k.leads = append(k.leads, kind.Stream())
			}
		}
		if l, err := in.s.nats.MetaLeader(ctx); err == nil && l == victim {
			k.leads = append(k.leads, "meta")
		}
	}
	down := time.Duration(500+in.rng.IntN(3000)) * time.Millisecond
	in.natsMu.Lock()
	in.natsBusy = true
	in.natsMu.Unlock()
	k.server, k.at = victim.Name(), time.Now()
	if len(k.leads) > 0 {
		in.ev.note("%s leads %v", victim.Name(), k.leads)
	}
	// On a cluster, one fault in three is a planned restart (a rolling
	// upgrade, a node drained): a clean stop.
	k.planned = len(in.s.nats.Servers) > 1 && in.rng.IntN(3) == 0
	if k.planned {
		in.sups[victim.Name()].stop(down, 20*time.Second)
	} else {
		in.sups[victim.Name()].kill(down)
	}
	in.natsKills++
	in.ev.mu.Lock()
	in.ev.nats = append(in.ev.nats, k)
	in.ev.mu.Unlock()
	for _, what := range k.leads {
		in.wg.Go(func() { in.awaitLeader(ctx, k, victim, what) })
	}
	in.wg.Go(func() {
		defer func() {
			in.natsMu.Lock()
			in.natsBusy = false
			in.natsMu.Unlock()
		}()
		// The supervisor restarts it; this waits for that even when the
		// run is ending.
		ctx := context.WithoutCancel(ctx)
		deadline := time.Now().Add(down + 30*time.Second)
		for !victim.Running() && time.Now().Before(deadline) {
			sleep(ctx, 50*time.Millisecond)
		}
		in.ev.mu.Lock()
		k.restarted = time.Now()
		in.ev.mu.Unlock()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 90*time.Second)
		defer cancel()
		if err := in.s.nats.WaitReady(wctx, 90*time.Second); err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			in.ev.note("NATS not ready again after killing %s: %s", victim.Name(), first)
		}
		// Healthy is not yet settled: give the groups the restarted server
		// rejoined a moment before another server goes.
		sleep(ctx, 5*time.Second)
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, ok := in.l.firstWriteAfter(k.at); ok {
			return
		}
		sleep(ctx, 20*time.Millisecond)
	}
}

// awaitLeader notes how long after the kill what (a stream, or "meta")
// had a leader again: another server, or the victim once restarted.
func (in *injector) awaitLeader(ctx context.Context, k *natsKill, victim *natsproc.Server, what string) {
	ctx = context.WithoutCancel(ctx)
	deadline := k.at.Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var l *natsproc.Server
		var err error
		actx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		if what == "meta" {
			l, err = in.s.nats.MetaLeader(actx)
		} else {
			l, err = in.s.nats.Leader(actx, in.s.ops, what)
		}
		cancel()
		if err == nil && l.Running() {
			in.ev.mu.Lock()
			if k.elected == nil {
				k.elected = map[string]time.Duration{}
			}
			k.elected[what] = time.Since(k.at)
			in.ev.mu.Unlock()
			return
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

// finish waits for every NATS restart under way and until every process
// runs again; the supervisors go on restarting a process that exits on
// its own until halt.
func (in *injector) finish(ctx context.Context) error {
	in.wg.Wait()
	deadline := time.Now().Add(time.Minute)
	for {
		var down []string
		for name, s := range in.sups {
			if !s.p.Running() {
				down = append(down, name)
			}
		}
		if len(down) == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			sort.Strings(down)
			return fmt.Errorf("not running a minute after the faults: %v", down)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// halt stops every supervisor, before the system is stopped.
func (in *injector) halt() {
	for _, s := range in.sups {
		s.halt()
	}
}

// measure fills in, for every NATS kill, how long writes took to come back.
func (in *injector) measure() {
	in.ev.mu.Lock()
	defer in.ev.mu.Unlock()
	for _, k := range in.ev.nats {
		if t, ok := in.l.firstWriteAfter(k.at); ok {
			k.firstWrite = t.Sub(k.at)
		}
	}
}

// writable is how long after the kill every stream a reservation writes
// (products, then reservations) had a leader again; ok is false when the
// killed server led neither or a new leader was not seen.
func (k *natsKill) writable() (at time.Duration, ok bool) {
	for _, kind := range []eventstore.Kind{eventstore.Products, eventstore.Reservations} {
		if !slices.Contains(k.leads, kind.Stream()) {
			continue
		}
		d, seen := k.elected[kind.Stream()]
		if !seen {
			return 0, false
		}
		at, ok = max(at, d), true
	}
	return at, ok
}
