package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natsproc"
)

// What an acknowledged reservation survives, as docs/durability.md says:
// real nats-server processes from the shipped configurations, a real api,
// kill -9.

func startForTest(t *testing.T, cfg sysConfig) *system {
	t.Helper()
	cfg.bin, cfg.root, cfg.dir = binDir, "../..", t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := startSystem(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// createProduct creates a product through the api, retrying while it is
// unavailable.
func createProduct(t *testing.T, c *client, api *proc, id string, stock int) {
	t.Helper()
	w := &workload{c: c}
	if err := w.create(t.Context(), "/products", map[string]any{"id": id, "name": "Durable phone", "stock": stock}, "create product"); err != nil {
		t.Fatal(err)
	}
}

// burst is clients sending reservations back to back until stopped.
type burst struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	acked []uuid.UUID
}

func startBurst(c *client, api *proc, product string, clients int) *burst {
	b := &burst{stop: make(chan struct{})}
	for i := range clients {
		b.wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-b.stop:
					return
				default:
				}
				body := reserveBody{ProductID: product, CustomerID: fmt.Sprintf("c-%d-%d", i, n), Location: location{Lat: 37.56, Lon: 126.97}}
				r := c.do(context.Background(), api, http.MethodPost, "/reservations", body, nil)
				if r.status != http.StatusCreated {
					if r.err != nil || r.status == http.StatusServiceUnavailable {
						time.Sleep(20 * time.Millisecond)
					}
					continue
				}
				var v reservationView
				if err := json.Unmarshal(r.body, &v); err == nil {
					b.mu.Lock()
					b.acked = append(b.acked, v.ID)
					b.mu.Unlock()
				}
			}
		})
	}
	return b
}

// end stops the clients and returns every reservation answered 201.
func (b *burst) end() []uuid.UUID {
	close(b.stop)
	b.wg.Wait()
	return b.acked
}

// checkAcked fails the test unless the log holds every acknowledged
// reservation and its unit, and no invariant broke on the way.
func checkAcked(t *testing.T, s *system, acked []uuid.UUID) *logView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	v, err := readLog(ctx, s.es)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, id := range acked {
		r := v.reservations[id]
		if r == nil || !r.Exists() || v.holdOf[id] == "" {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged reservation %s: placed %v, unit held by %q", id, r != nil && r.Exists(), v.holdOf[id])
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged reservations are not in the log", lost, len(acked))
	}
	for _, p := range v.problems {
		t.Errorf("log: %s", p)
	}
	return v
}

// eventuallySettled waits until every held unit has its reservation (the
// api's placer completes what the kill interrupted).
func eventuallySettled(t *testing.T, s *system) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := readLog(t.Context(), s.es)
		if err != nil {
			t.Fatal(err)
		}
		var left []violation
		for _, u := range unsettled(v) {
			if u.kind == "placed" {
				left = append(left, u)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the restart, %d held units have no reservation, such as %s", len(left), left[0])
		}
		time.Sleep(time.Second)
	}
}

// A burst of reservations from a real api, then at once kill -9 of the
// single NATS server, in the middle of the burst; restarted on its store,
// it has every reservation the api acknowledged and its unit. With
// sync_interval: always each was on disk before its ack; with the shipped
// interval it was written to the file before its ack and a killed process
// loses nothing the kernel holds (a host's crash would; see
// docs/durability.md).
func TestAckedReservationsSurviveNATSKill(t *testing.T) {
	for _, tt := range []struct{ name, sync string }{
		{"sync_interval always", "always"},
		{"shipped sync_interval", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startForTest(t, sysConfig{sync: tt.sync, apis: 1})
			c := newClient(s.apis, newLedger())
			createProduct(t, c, s.apis[0], "durable-phone", 1_000_000)
			b := startBurst(c, s.apis[0], "durable-phone", 32)
			time.Sleep(1500 * time.Millisecond)
			srv := s.nats.Servers[0]
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			acked := b.end()
			if len(acked) < 50 {
				t.Fatalf("only %d reservations acknowledged before the kill", len(acked))
			}
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			if err := s.nats.WaitReady(t.Context(), time.Minute); err != nil {
				t.Fatal(err)
			}
			checkAcked(t, s, acked)
			eventuallySettled(t, s)
			t.Logf("%d reservations acknowledged before kill -9; all in the log after the restart", len(acked))
		})
	}
}

// On a 3-node cluster with R3 streams and the shipped sync interval, an
// acknowledged write is on a quorum, two nodes: a burst, then at once kill
// -9 of the node leading TSHOP_PRODUCTS (where every reservation's unit is
// held). The two left have every acknowledged reservation while it is
// down. Then the killed node loses its whole store (as a host's crash may
// lose what it had not synced) and rejoins empty: it copies everything
// back from the others, and the survivors stay whole when another node is
// killed after it.
func TestAckedReservationsSurviveLeaderKillOnR3(t *testing.T) {
	s := startForTest(t, sysConfig{cluster: true, apis: 1})
	c := newClient(s.apis, newLedger())
	createProduct(t, c, s.apis[0], "durable-phone", 1_000_000)
	b := startBurst(c, s.apis[0], "durable-phone", 32)
	time.Sleep(1500 * time.Millisecond)
	leader, err := s.nats.Leader(t.Context(), s.ops, eventstore.Products.Stream())
	if err != nil {
		b.end()
		t.Fatal(err)
	}
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	acked := b.end()
	if len(acked) < 50 {
		t.Fatalf("only %d reservations acknowledged before the kill", len(acked))
	}
	// The two nodes left elect new leaders and have it all.
	before := checkAcked(t, s, acked)
	t.Logf("killed %s, leader of %s: %d acknowledged reservations all on the two nodes left", leader.Name(), eventstore.Products.Stream(), len(acked))

	// The killed node comes back with nothing and catches up.
	if err := os.RemoveAll(leader.StoreDir()); err != nil {
		t.Fatal(err)
	}
	if err := leader.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.nats.WaitReady(t.Context(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, k := range eventstore.Kinds() {
		deadline := time.Now().Add(time.Minute)
		for {
			msgs, last, err := leader.StreamState(t.Context(), k.Stream())
			if err == nil && last >= before.ends[k] && msgs >= before.ends[k] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s, restarted empty, holds %d messages of %s up to %d (err %v); the log had %d", leader.Name(), msgs, k.Stream(), last, err, before.ends[k])
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Another node goes: the rebuilt one and the last one have it all.
	var other *natsproc.Server
	for _, n := range s.nats.Servers {
		if n != leader {
			other = n
			break
		}
	}
	if err := other.Kill(); err != nil {
		t.Fatal(err)
	}
	checkAcked(t, s, acked)
	if err := other.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.nats.WaitReady(t.Context(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	eventuallySettled(t, s)
}

// Every node of the R3 cluster killed at once, mid-burst, with the shipped
// sync interval: each node wrote an entry to its log before it counted
// towards the quorum, so a crash of the NATS processes (not of the host)
// loses nothing even when all of them go together.
func TestAckedReservationsSurviveWholeClusterKill(t *testing.T) {
	s := startForTest(t, sysConfig{cluster: true, apis: 1})
	c := newClient(s.apis, newLedger())
	createProduct(t, c, s.apis[0], "durable-phone", 1_000_000)
	b := startBurst(c, s.apis[0], "durable-phone", 32)
	time.Sleep(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for _, n := range s.nats.Servers {
		wg.Go(func() {
			if err := n.Kill(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	acked := b.end()
	if len(acked) < 50 {
		t.Fatalf("only %d reservations acknowledged before the kill", len(acked))
	}
	for _, n := range s.nats.Servers {
		if err := n.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.nats.WaitReady(t.Context(), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	checkAcked(t, s, acked)
	eventuallySettled(t, s)
	t.Logf("%d reservations acknowledged before every node was killed; all in the log after the restart", len(acked))
}
