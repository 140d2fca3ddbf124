package projections_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
)

// changes collects the notices published on ChangeSubject, as the api
// (with its own NATS user) hears them.
type changes struct {
	mu   sync.Mutex
	list []projections.Change
}

func listen(t *testing.T, ns *natstest.Server) *changes {
	t.Helper()
	c := &changes{}
	nc := ns.Connect(natstest.User(natstest.API))
	sub, err := nc.Subscribe(projections.ChangeSubject, func(m *nats.Msg) {
		var ch projections.Change
		if err := json.Unmarshal(m.Data, &ch); err != nil {
			t.Errorf("notice %s: %v", m.Data, err)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.list = append(c.list, ch)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return c
}

func (c *changes) get() []projections.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

// reached says whether the notices heard reach every stream's end.
func (c *changes) reached(ends map[eventstore.Kind]uint64) bool {
	top := map[string]uint64{}
	for _, ch := range c.get() {
		top[ch.Stream] = max(top[ch.Stream], ch.Seq)
	}
	for k, seq := range ends {
		if top[k.Stream()] < seq {
			return false
		}
	}
	return true
}

// A projector that publishes changes tells, after each transaction, which
// aggregates' views changed and up to where: together, its notices name
// every aggregate written, each under its own stream, and their sequences
// climb to the end of each stream. It publishes with the projector's own
// NATS user, and the api's user may listen.
func TestProjectorPublishesChanges(t *testing.T) {
	ns := natstest.Start(t)
	w := &world{nc: ns.Connect(), now: t0}
	es, err := eventstore.Open(t.Context(), w.nc, &eventstore.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	w.es = es
	heard := listen(t, ns)

	// The projector, as its process runs it.
	pc := ns.Connect(natstest.User(natstest.Projector))
	pes, err := eventstore.Open(t.Context(), pc, &eventstore.Config{WaitForStreams: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	db := tempDB(t)
	p := projections.NewProjector(pes, db, quiet())
	p.PublishChanges(pc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	w.seed(t)
	ends := w.ends(t)
	eventually(t, 10*time.Second, func() bool { return heard.reached(ends) })

	named := map[string][]string{}
	for _, ch := range heard.get() {
		if ch.Seq == 0 || ch.Seq > ends[kindOf(t, ch.Stream)] || ch.Checkpoints[ch.Stream] != ch.Seq || ch.Truncated {
			t.Errorf("notice %+v: seq or checkpoints wrong (ends %v)", ch, ends)
		}
		for _, id := range slices.Concat(ch.Reservations, ch.Products, ch.Stores) {
			if !slices.Contains(named[ch.Stream], id) {
				named[ch.Stream] = append(named[ch.Stream], id)
			}
		}
		switch {
		case ch.Stream == "TSHOP_RESERVATIONS" && (len(ch.Products) > 0 || len(ch.Stores) > 0),
			ch.Stream == "TSHOP_PRODUCTS" && (len(ch.Reservations) > 0 || len(ch.Stores) > 0),
			ch.Stream == "TSHOP_STORES" && (len(ch.Reservations) > 0 || len(ch.Products) > 0):
			t.Errorf("notice %+v names aggregates of another stream", ch)
		}
	}
	want := map[string][]string{
		"TSHOP_PRODUCTS":     {"p1", "p2"},
		"TSHOP_STORES":       {"s1", "s2"},
		"TSHOP_RESERVATIONS": {rid(1).String(), rid(2).String(), rid(3).String()},
	}
	for stream, ids := range want {
		got := slices.Sorted(slices.Values(named[stream]))
		if !slices.Equal(got, slices.Sorted(slices.Values(ids))) {
			t.Errorf("%s: notices named %v, want %v", stream, got, ids)
		}
	}

}

func kindOf(t *testing.T, stream string) eventstore.Kind {
	t.Helper()
	for _, k := range eventstore.Kinds() {
		if k.Stream() == stream {
			return k
		}
	}
	t.Fatalf("unknown stream %q", stream)
	return 0
}
