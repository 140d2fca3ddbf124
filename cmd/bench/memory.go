package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/internal/load"
	"github.com/tshop/tshop/internal/natsauth"
	"github.com/tshop/tshop/projections"
)

const (
	memoryScenario  = "Memory after many reservations"
	rebuildScenario = "projector rebuild of the whole log"
)

func sortDurations(d []time.Duration) { slices.Sort(d) }

// memoryAndRebuild: make sz.memory reservations, measure each process's
// resident memory once the read model and the assigner caught up, then
// rebuild a read model from that log against a raw read of it.
func (b *bench) memoryAndRebuild(ctx context.Context) error {
	s, err := b.system(ctx, sysOpts{projector: true, assigner: true})
	if err != nil {
		return err
	}
	defer s.stop()
	c := newClient(8)
	products, err := createProducts(ctx, c, s.apiURL, "mem", b.sz.products, 1_000_000_000)
	if err != nil {
		return err
	}
	// Room for a tenth of them, in stores of a realistic size; the rest
	// wait, as they would in a sold-out region.
	if err := createStores(ctx, c, s.apiURL, 1000, max(10, b.sz.memory/10_000)); err != nil {
		return err
	}
	cl := newClient(64)
	made := 0
	start := time.Now()
	for made < b.sz.memory {
		r := load.Run(ctx, load.Config{Conns: 64, Duration: 5 * time.Second}, reserve(cl, s.apiURL, pickAny(products)))
		made += r.Kinds["201"]
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	took := time.Since(start)
	if err := waitCaughtUp(ctx, s, 10*time.Minute); err != nil {
		return err
	}
	limits := map[string]int64{"api": 300 << 20, "projector": 200 << 20, "assigner": 200 << 20}
	for _, name := range []string{"api", "projector", "assigner"} {
		rss, anon, err := s.rss(name)
		if err != nil {
			return err
		}
		b.rep.add(result{Scenario: memoryScenario, Durability: s.opts.durability(),
			Figure: fmt.Sprintf("%s resident memory after %d reservations", name, made), Value: float64(rss) / (1 << 20), Unit: "MiB",
			Target: fmt.Sprintf("≤ %d MiB", limits[name]>>20), Met: met(rss <= limits[name]),
			Notes: fmt.Sprintf("of which anonymous (heap and stacks, not mapped files) %.0f MiB; made in %s at 64 connections",
				float64(anon)/(1<<20), took.Round(time.Second))})
	}
	return b.rebuild(ctx, s)
}

// waitCaughtUp waits until a projector reports no lag on any stream.
func waitCaughtUp(ctx context.Context, s *system, limit time.Duration) error {
	nc, err := s.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	client := projections.NewClient(nc, 5*time.Second)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		lag, err := client.Lag(ctx)
		if err == nil && len(lag) > 0 {
			behind := uint64(0)
			for _, l := range lag {
				behind += l.Events
			}
			if behind == 0 {
				return nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return errors.New("the read model did not catch up")
}

// rebuild runs bin/projector rebuild into a fresh file and compares its
// rate with a raw ordered-consumer read of the same streams.
func (b *bench) rebuild(ctx context.Context, s *system) error {
	total, rawRate, err := rawRead(ctx, s)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, "rebuild.db")
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(b.cfg.bin, "projector"), "rebuild", "--nats", s.natsURL, "--db", path)
	cmd.Env = append(os.Environ(), s.roleEnv(natsauth.Projector)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("projector rebuild: %v\n%s", err, out)
	}
	took := time.Since(start)
	v := float64(total) / took.Seconds()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	b.rep.add(result{Scenario: rebuildScenario, Durability: s.opts.durability(),
		Figure: fmt.Sprintf("messages/s rebuilding %d messages", total), Value: v, Unit: "/s",
		Baseline: "raw ordered-consumer read of the same streams", BaseValue: rawRate,
		Target: "≥ 25% of the raw read", Met: met(v >= 0.25*rawRate),
		Notes: fmt.Sprintf("took %s; read model file %.0f MiB", took.Round(time.Second), float64(fi.Size())/(1<<20))})
	return nil
}

// rawRead reads every Tshop stream to its end with an ordered consumer,
// doing nothing with the messages.
func rawRead(ctx context.Context, s *system) (uint64, float64, error) {
	nc, err := s.connect()
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, 0, err
	}
	var total uint64
	start := time.Now()
	for _, name := range []string{"TSHOP_PRODUCTS", "TSHOP_RESERVATIONS", "TSHOP_STORES"} {
		n, err := readStream(ctx, js, name)
		if err != nil {
			return 0, 0, err
		}
		total += n
	}
	return total, float64(total) / time.Since(start).Seconds(), nil
}

// readStream reads a stream to its last message with an ordered consumer
// and returns how many messages that was.
func readStream(ctx context.Context, js jetstream.JetStream, name string) (uint64, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return 0, err
	}
	state := st.CachedInfo().State
	if state.Msgs == 0 {
		return 0, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return 0, err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return 0, err
		}
		if meta.Sequence.Stream >= state.LastSeq {
			return state.Msgs, nil
		}
	}
}
