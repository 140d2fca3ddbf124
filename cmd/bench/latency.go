package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tshop/tshop/internal/load"
	"github.com/tshop/tshop/internal/plot"
)

const (
	latencyScenario = "Latency at 50% of peak, fixed rate (open loop)"
	lagScenario     = "Read-model lag under the many-products load"
	acceptScenario  = "PLACED to ACCEPTED at 50% of peak"
)

// sampleEvery: one reservation in this many is followed up (read back,
// and its assignment timed).
const sampleEvery = 20

// latency: open-loop fixed-rate runs at half the peaks measured before,
// many products and the hot product; one reservation in sampleEvery is read
// back at once (append to queryable) and later has its time from PLACED to
// ACCEPTED taken from its history.
func (b *bench) latency(ctx context.Context) error {
	if b.manyPeak == 0 || b.hotPeak == 0 {
		return fmt.Errorf("run the throughput and contention scenarios first")
	}
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	c := newClient(8)
	products, err := createProducts(ctx, c, s.apiURL, "lat", b.sz.products, 1_000_000_000)
	if err != nil {
		return err
	}
	if _, err := createProducts(ctx, c, s.apiURL, "hot", 1, 1_000_000_000); err != nil {
		return err
	}
	// Room for every reservation of the run, in stores of a realistic
	// size: a store's state lists the reservations it holds, so a store
	// of 10,000 makes every slot append carry 10,000 ids.
	if err := createStores(ctx, c, s.apiURL, 400, 200); err != nil {
		return err
	}
	for _, run := range []struct {
		what string
		rate float64
		pick func() string
	}{
		{"many products", b.manyPeak / 2, pickAny(products)},
		{"hot product", b.hotPeak / 2, pickOne("hot-0000")},
	} {
		if err := b.settle(ctx, s); err != nil {
			return err
		}
		sm := &samples{client: newClient(64), base: s.apiURL}
		cl := newClient(256)
		var r load.Result
		var m *cpuMeter
		var spent cpuTimes
		b.profiled(ctx, s, "open-"+strings.ReplaceAll(run.what, " ", "-"), func() {
			m, spent, err = metered(s.pids(), s, b.sz.warm, func() {
				r = load.Run(ctx, load.Config{Conns: 256, Rate: run.rate, Duration: b.sz.run, Warmup: b.sz.warm}, sm.wrap(reserve2(cl, s.apiURL, run.pick)))
			})
		})
		if err != nil {
			return err
		}
		ok := r.Kinds["201"]
		b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
			Figure: fmt.Sprintf("CPU per reservation, %s at %.0f/s", run.what, run.rate), Value: perOp(spent.total(), ok), Unit: "µs",
			Baseline: "CPU per HTTP-ceiling request", BaseValue: b.cpuHTTP,
			Notes: fmt.Sprintf("%d reservations in the measured window, every process keeping up: %s (the bench's share includes reading back one in %d); NATS messages per reservation: %s",
				ok, spent.split(ok), sampleEvery, m.messages(ok))})
		p99, p999 := r.Quantile(0.99), r.Quantile(0.999)
		b.rep.add(result{Scenario: latencyScenario, Durability: s.opts.durability(),
			Figure: fmt.Sprintf("p99, %s at %.0f/s", run.what, run.rate), Value: float64(p99) / 1e6, Unit: "ms",
			Target: "p99 ≤ 10 ms", Met: met(p99 <= 10*time.Millisecond),
			Notes: fmt.Sprintf("achieved %.0f/s; %s; %s", r.Achieved, kinds(r), lat(r))})
		b.rep.add(result{Scenario: latencyScenario, Durability: s.opts.durability(),
			Figure: fmt.Sprintf("p99.9, %s at %.0f/s", run.what, run.rate), Value: float64(p999) / 1e6, Unit: "ms",
			Target: "p99.9 ≤ 50 ms", Met: met(p999 <= 50*time.Millisecond)})
		if run.what != "many products" {
			continue
		}
		b.openRun = r
		lags := sm.lags()
		lp99 := quantile(lags, 0.99)
		b.rep.add(result{Scenario: lagScenario, Durability: s.opts.durability(),
			Figure: "append to queryable, p99", Value: float64(lp99) / 1e6, Unit: "ms",
			Target: "p99 ≤ 100 ms", Met: met(lp99 <= 100*time.Millisecond),
			Notes: fmt.Sprintf("%d samples (one in %d): time from the 201 to a GET that reflects it; p50 %s, max %s",
				len(lags), sampleEvery, ms(quantile(lags, 0.5)), ms(quantile(lags, 1)))})
		time.Sleep(2 * time.Second) // let the assigner finish the last ones
		acc, waiting := sm.acceptTimes(ctx)
		ap99 := quantile(acc, 0.99)
		b.rep.add(result{Scenario: acceptScenario, Durability: s.opts.durability(),
			Figure: "PLACED to ACCEPTED, p99", Value: float64(ap99) / 1e6, Unit: "ms",
			Target: "p99 ≤ 200 ms", Met: met(ap99 <= 200*time.Millisecond && len(acc) > 0),
			Notes: fmt.Sprintf("%d samples from the log's event times, %d not accepted yet; p50 %s, max %s",
				len(acc), waiting, ms(quantile(acc, 0.5)), ms(quantile(acc, 1)))})
	}
	return b.charts()
}

// samples follows up one reservation in sampleEvery.
type samples struct {
	client *http.Client
	base   string
	mu     sync.Mutex
	lag    []time.Duration
	ids    []string
	n      int
}

// reserve2 is reserve that also returns the reservation id of a 201.
func reserve2(c *http.Client, base string, pick func() string) func(ctx context.Context) (string, string) {
	return func(ctx context.Context) (string, string) {
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/reservations", bytes.NewReader(reservationBody(pick())))
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		id := ""
		if err == nil {
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var v struct{ ID string }
			if res.StatusCode == http.StatusCreated && json.Unmarshal(raw, &v) == nil {
				id = v.ID
			}
		}
		return kindOf(res, err), id
	}
}

func (s *samples) wrap(req func(context.Context) (string, string)) load.Request {
	return func(ctx context.Context) string {
		kind, id := req(ctx)
		if id == "" {
			return kind
		}
		s.mu.Lock()
		s.n++
		take := s.n%sampleEvery == 0
		s.mu.Unlock()
		if take {
			go s.readBack(id, time.Now())
		}
		return kind
	}
}

// readBack reads a reservation right after its 201: the api answers once
// the read model has applied it.
func (s *samples) readBack(id string, created time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status, _, err := get(ctx, s.client, s.base+"/reservations/"+id, nil)
	if err != nil || status != http.StatusOK {
		return
	}
	s.mu.Lock()
	s.lag = append(s.lag, time.Since(created))
	s.ids = append(s.ids, id)
	s.mu.Unlock()
}

func (s *samples) lags() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.lag)
	slices.Sort(out)
	return out
}

// acceptTimes reads each sampled reservation's history: ReservationAccepted
// at minus ReservationPlaced at, both as the log recorded them.
func (s *samples) acceptTimes(ctx context.Context) ([]time.Duration, int) {
	s.mu.Lock()
	ids := slices.Clone(s.ids)
	s.mu.Unlock()
	var out []time.Duration
	waiting := 0
	for _, id := range ids {
		var h []struct {
			Type string
			At   time.Time
		}
		if status, _, err := get(ctx, s.client, s.base+"/reservations/"+id+"/history", &h); err != nil || status != http.StatusOK {
			waiting++
			continue
		}
		var placed, accepted time.Time
		for _, e := range h {
			switch e.Type {
			case "ReservationPlaced":
				placed = e.At
			case "ReservationAccepted":
				if accepted.IsZero() {
					accepted = e.At
				}
			}
		}
		if accepted.IsZero() {
			waiting++
			continue
		}
		out = append(out, accepted.Sub(placed))
	}
	slices.Sort(out)
	return out, waiting
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// charts draws the open-loop many-products run.
func (b *bench) charts() error {
	r := b.openRun
	dir := filepath.Join(b.cfg.out, "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var x, done, p99 []float64
	for _, s := range r.Series {
		x = append(x, s.At.Seconds())
		done = append(done, float64(s.Done))
		p99 = append(p99, float64(s.P99)/1e6)
	}
	for _, c := range []struct {
		file string
		draw func(io.Writer) error
	}{
		{"bench-throughput.svg", func(w io.Writer) error {
			return plot.LineChart(w, fmt.Sprintf("Reservations per second, open loop at %.0f/s", r.Config.Rate), "seconds", "reservations/s",
				[]plot.Line{{Name: "completed", X: x, Y: done}})
		}},
		{"bench-p99.svg", func(w io.Writer) error {
			return plot.LineChart(w, "p99 latency per second, from the intended send time", "seconds", "ms",
				[]plot.Line{{Name: "p99", X: x, Y: p99}})
		}},
		{"bench-latency-histogram.svg", func(w io.Writer) error {
			return plot.Histogram(w, "Reservation latency, open loop at 50% of peak", r.Latencies)
		}},
	} {
		f, err := os.Create(filepath.Join(dir, c.file))
		if err != nil {
			return err
		}
		err = c.draw(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		b.rep.Charts = append(b.rep.Charts, "docs/"+c.file)
	}
	return nil
}
