package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/internal/load"
)

const (
	hotScenario     = "All reservations on one hot product (closed loop, peak)"
	soldOutScenario = "Sold-out product, stock 0 (closed loop, 64 connections)"
)

// contention: one hot product at 64 and 512 connections against the
// many-products peak and against the plain retry path; zero oversell; and a
// sold-out product against the HTTP ceiling, with no append per rejection.
func (b *bench) contention(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	if b.manyPeak == 0 || b.ceiling == 0 {
		return fmt.Errorf("run the throughput scenario first")
	}
	c := newClient(8)
	if _, err := createProducts(ctx, c, s.apiURL, "hot", 1, 1_000_000_000); err != nil {
		return err
	}
	for _, conns := range []int{64, 512} {
		if err := b.settle(ctx, s); err != nil {
			return err
		}
		r := b.peak(ctx, s.apiURL, conns, pickOne("hot-0000"))
		v := rate(r, "201")
		if conns == 64 {
			b.hotPeak = v
		}
		b.rep.add(result{Scenario: hotScenario, Durability: s.opts.durability(),
			Figure: fmt.Sprintf("reservations/s, %d connections", conns), Value: v, Unit: "/s",
			Baseline: "many products, 64 connections", BaseValue: b.manyPeak,
			Target: "≥ 80% of the many-products figure", Met: met(v >= 0.8*b.manyPeak),
			Notes: kinds(r) + "; " + lat(r)})
	}
	if err := b.settle(ctx, s); err != nil {
		return err
	}
	if err := b.oversell(ctx, s); err != nil {
		return err
	}
	if err := b.soldOut(ctx); err != nil {
		return err
	}
	plain, err := b.system(ctx, sysOpts{noGroup: true})
	if err != nil {
		return err
	}
	defer plain.stop()
	if _, err := createProducts(ctx, c, plain.apiURL, "hot", 1, 1_000_000_000); err != nil {
		return err
	}
	if err := b.settle(ctx, plain); err != nil {
		return err
	}
	r := b.peak(ctx, plain.apiURL, 64, pickOne("hot-0000"))
	v := rate(r, "201")
	b.rep.add(result{Scenario: hotScenario, Durability: s.opts.durability(),
		Figure: "reservations/s, 64 connections, group commit", Value: b.hotPeak, Unit: "/s",
		Baseline: "same load, group commit off (read-check-append-retry)", BaseValue: v,
		Target: "≥ 10 x the plain retry path", Met: met(b.hotPeak >= 10*v),
		Notes: "plain path: " + kinds(r) + "; " + lat(r)})
	return nil
}

// oversell: 512 clients race for a product with a fixed stock; exactly that
// many reservations succeed and the stock ends at 0.
func (b *bench) oversell(ctx context.Context, s *system) error {
	stock := 2000
	if b.cfg.quick {
		stock = 300
	}
	c := newClient(8)
	if _, err := createProducts(ctx, c, s.apiURL, "limited", 1, stock); err != nil {
		return err
	}
	cl := newClient(512)
	r := load.Run(ctx, load.Config{Conns: 512, Duration: b.sz.run}, reserve(cl, s.apiURL, pickOne("limited-0000")))
	created := r.Kinds["201"]
	var p struct{ Stock, Reserved int }
	time.Sleep(time.Second) // let the read model apply the last holds
	if status, _, err := get(ctx, c, s.apiURL+"/products/limited-0000", &p); err != nil || status != http.StatusOK {
		return fmt.Errorf("read the limited product: %d %v", status, err)
	}
	ok := created == stock && p.Stock == 0 && p.Reserved == stock
	b.rep.add(result{Scenario: hotScenario, Durability: s.opts.durability(),
		Figure: fmt.Sprintf("units sold of %d, 512 connections racing", stock), Value: float64(created), Unit: "units",
		Target: "zero oversell", Met: met(ok),
		Notes: fmt.Sprintf("201: %d, stock after %d, reserved %d; %s", created, p.Stock, p.Reserved, kinds(r))})
	return nil
}

// soldOut: rejections of a product with no stock, against the HTTP ceiling,
// and the product log does not grow. It has a system of its own: the one
// the hot runs used holds every reservation they made waiting for a store
// (it has none), and the assigner and NATS spend a tenth of a core
// redelivering them, which a run there would count as the sold-out
// product's.
func (b *bench) soldOut(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	c := newClient(8)
	if _, err := createProducts(ctx, c, s.apiURL, "soldout", 1, 0); err != nil {
		return err
	}
	if err := b.settle(ctx, s); err != nil {
		return err
	}
	before, err := lastSeq(ctx, s, "TSHOP_PRODUCTS")
	if err != nil {
		return err
	}
	var r load.Result
	var spent cpuTimes
	b.profiled(ctx, s, "soldout", func() {
		_, spent, err = metered(s.pids(), nil, b.sz.warm, func() { r = b.peak(ctx, s.apiURL, 64, pickOne("soldout-0000")) })
	})
	if err != nil {
		return err
	}
	after, err := lastSeq(ctx, s, "TSHOP_PRODUCTS")
	if err != nil {
		return err
	}
	v := rate(r, "409")
	b.rep.add(result{Scenario: soldOutScenario, Durability: s.opts.durability(),
		Figure: "409 out-of-stock answers/s", Value: v, Unit: "/s",
		Baseline: "HTTP ceiling", BaseValue: b.ceiling,
		Target: "≥ 80% of the HTTP ceiling", Met: met(v >= 0.8*b.ceiling),
		Notes: kinds(r) + "; " + lat(r)})
	b.rep.add(result{Scenario: soldOutScenario, Durability: s.opts.durability(),
		Figure: "product-log appends during the run", Value: float64(after - before), Unit: "appends",
		Target: "no append per rejection", Met: met(after == before)})
	refused := r.Kinds["409"]
	b.rep.add(result{Scenario: cpuScenario, Durability: s.opts.durability(),
		Figure: "CPU per 409 of a sold-out product", Value: perOp(spent.total(), refused), Unit: "µs",
		Baseline: "CPU per HTTP-ceiling request", BaseValue: b.cpuHTTP,
		Notes: fmt.Sprintf("%d answers in the measured window: %s", refused, spent.split(refused))})
	return nil
}

func lastSeq(ctx context.Context, s *system, stream string) (uint64, error) {
	nc, err := s.connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, err
	}
	return st.CachedInfo().State.LastSeq, nil
}
