package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/internal/load"
)

func sortStrings(s []string) { slices.Sort(s) }

const manyScenario = "Reservations over many products, 64 connections (closed loop, peak)"

// throughput: the peak over many products against the HTTP ceiling and the
// storage ceiling (raw async JetStream publish).
func (b *bench) throughput(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	_, err = b.throughputOn(ctx, s, true)
	return err
}

// throughputOn measures the many-products peak on s, with the baselines
// when asked, and returns it.
func (b *bench) throughputOn(ctx context.Context, s *system, withBaselines bool) (float64, error) {
	c := newClient(8)
	products, err := createProducts(ctx, c, s.apiURL, "many", b.sz.products, 1_000_000_000)
	if err != nil {
		return 0, err
	}
	if withBaselines {
		url, err := b.startCeiling(s)
		if err != nil {
			return 0, err
		}
		var ceil load.Result
		_, spent, err := metered(s.pids("bench", "ceiling"), nil, b.sz.warm, func() { ceil = b.peak(ctx, url, 64, pickAny(products)) })
		if err != nil {
			return 0, err
		}
		b.ceiling = rate(ceil, "201")
		b.cpuHTTP = perOp(spent.total(), ceil.Done)
		b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
			Figure: "CPU per HTTP-ceiling request", Value: b.cpuHTTP, Unit: "µs",
			Notes: fmt.Sprintf("%d requests at 64 connections: %s", ceil.Done, spent.split(ceil.Done))})
	}
	if err := b.settle(ctx, s); err != nil {
		return 0, err
	}
	var many load.Result
	var m *cpuMeter
	var spent cpuTimes
	b.profiled(ctx, s, "many-"+s.opts.durabilityLabel(), func() {
		m, spent, err = metered(s.pids(), s, b.sz.warm, func() { many = b.peak(ctx, s.apiURL, 64, pickAny(products)) })
	})
	if err != nil {
		return 0, err
	}
	manyRate := rate(many, "201")
	if withBaselines {
		b.manyPeak = manyRate
	}
	res := result{Scenario: manyScenario, Durability: s.opts.durability(),
		Figure: fmt.Sprintf("reservations/s over %d products", len(products)), Value: manyRate, Unit: "/s",
		Baseline: "HTTP ceiling (trivial chi JSON handler)", BaseValue: b.ceiling,
		Target: "≥ 50% of the HTTP ceiling", Met: met(manyRate >= 0.5*b.ceiling),
		Notes: kinds(many) + "; " + lat(many)}
	b.rep.add(res)
	if !withBaselines {
		return manyRate, nil
	}
	raw, err := b.rawStorage(ctx, s)
	if err != nil {
		return 0, err
	}
	b.rep.add(result{Scenario: manyScenario, Durability: s.opts.durability(),
		Figure: "reservations/s over many products, against storage", Value: manyRate, Unit: "/s",
		Baseline: "raw async JetStream publish (msgs/s)", BaseValue: raw,
		Notes: "a reservation is two appends (hold, placement) plus the reads and consumers that follow"})
	ok := many.Kinds["201"]
	b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
		Figure: "CPU per reservation, many products at the peak", Value: perOp(spent.total(), ok), Unit: "µs",
		Baseline: "CPU per HTTP-ceiling request", BaseValue: b.cpuHTTP,
		Notes: fmt.Sprintf("%d reservations in the measured window: %s; NATS messages per reservation: %s; "+
			"at the peak the projector and assigner fall behind, so part of their work is done after the window "+
			"(the open-loop figures have all of it)", ok, spent.split(ok), m.messages(ok))})
	b.rep.add(b.floor(s))
	return manyRate, nil
}

// cpuScenario counts the CPU time every process spends per request.
const cpuScenario = "CPU per request (every process, load generator included)"

// rawStorage measures the storage ceiling, raw async JetStream publish,
// and the CPU per message of it and of reading the messages back with an
// ordered consumer; it returns the publish rate.
func (b *bench) rawStorage(ctx context.Context, s *system) (float64, error) {
	nc, err := s.connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RAW", Subjects: []string{"bench.raw.*"}, Storage: jetstream.FileStorage}); err != nil {
		return 0, err
	}
	defer js.DeleteStream(context.Background(), "BENCH_RAW")
	n := max(b.sz.memory/10, 20_000)
	pids := s.pids("bench", "nats")
	m := meter(pids, nil)
	raw, err := rawPublish(js, n)
	if err != nil {
		return 0, err
	}
	spent, err := m.stop()
	if err != nil {
		return 0, err
	}
	b.cpuAppend = perOp(spent.total(), n)
	b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
		Figure: "CPU per raw append", Value: b.cpuAppend, Unit: "µs",
		Notes: fmt.Sprintf("%d async publishes of 600 bytes, each acked: %s", n, spent.split(n))})
	m = meter(pids, nil)
	read, err := readStream(ctx, js, "BENCH_RAW")
	if err != nil {
		return 0, err
	}
	if spent, err = m.stop(); err != nil {
		return 0, err
	}
	b.cpuRead = perOp(spent.total(), int(read))
	b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
		Figure: "CPU per raw read", Value: b.cpuRead, Unit: "µs",
		Notes: fmt.Sprintf("the same %d messages through an ordered consumer: %s", read, spent.split(int(read)))})
	return raw, nil
}

// The least work any reservation takes in Tshop's shape: one HTTP request;
// the unit held on the product's subject and the reservation placed on its
// own aggregate's stream, both before the 201; the assigner's decision on
// the reservation's stream; and the messages read by the processes that
// must read them: the projector the hold, the placement and the decision,
// the assigner the placement.
const (
	leastAppends = 3
	leastReads   = 4
)

// floor is the highest many-products ratio to the HTTP ceiling that any
// implementation of the shape could reach on this machine: the HTTP
// ceiling's CPU per request against that request plus the least appends
// and reads a reservation takes, each at the raw cost measured in this
// run, with nothing for Tshop's own work (decisions, encoding, bbolt).
func (b *bench) floor(s *system) result {
	least := b.cpuHTTP + leastAppends*b.cpuAppend + leastReads*b.cpuRead
	return result{Scenario: cpuScenario, Durability: s.opts.durability(),
		Figure: "highest ratio to the HTTP ceiling a reservation's least work allows", Value: b.cpuHTTP / least, Unit: "of the ceiling",
		Notes: fmt.Sprintf("%.1f µs per ceiling request / (%.1f + %d appends × %.1f + %d reads × %.1f µs); the many-products target is 0.5",
			b.cpuHTTP, b.cpuHTTP, leastAppends, b.cpuAppend, leastReads, b.cpuRead)}
}

// rawPublish is the storage ceiling: n async publishes of
// reservation-sized messages to a stream of their own, acked.
func rawPublish(js jetstream.JetStream, n int) (float64, error) {
	body := make([]byte, 600)
	start := time.Now()
	for i := range n {
		if _, err := js.PublishAsync(fmt.Sprintf("bench.raw.%d", i%1000), body); err != nil {
			return 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("raw publish did not complete")
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
