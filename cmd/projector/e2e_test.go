package main_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	bolt "go.etcd.io/bbolt"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/internal/proctest"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// projectorBin is the projector built once for every test here.
var projectorBin string

func TestMain(m *testing.M) { proctest.Main(m, "projector", ".", &projectorBin) }

// env is a NATS server, the event store and a shop that writes to it.
type env struct {
	ns  *natstest.Server
	nc  *nats.Conn
	es  *eventstore.Store
	svc *shop.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	nc := ns.Connect(natstest.User(natstest.API))
	es, err := eventstore.Open(context.Background(), nc, &eventstore.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := shop.New(es, &shop.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{ns: ns, nc: nc, es: es, svc: svc}
}

// workload creates products and stores, then reserves and cancels until
// ctx ends.
func (e *env) workload(ctx context.Context, t *testing.T) {
	for i := range 5 {
		if _, _, err := e.svc.CreateProduct(ctx, domain.CreateProduct{ID: fmt.Sprintf("phone-%d", i), Name: "Phone", Stock: 1_000_000}); err != nil {
			t.Error(err)
			return
		}
		if _, _, err := e.svc.RegisterStore(ctx, domain.RegisterStore{ID: fmt.Sprintf("store-%d", i), Name: "Store", Location: domain.Location{Lat: 37.5, Lon: 127}, Capacity: 10}); err != nil {
			t.Error(err)
			return
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				res, err := e.svc.Reserve(ctx, shop.ReserveRequest{ProductID: fmt.Sprintf("phone-%d", rand.IntN(5)),
					CustomerID: fmt.Sprintf("c-%d-%d", w, n%20), Location: domain.Location{Lat: 37.56, Lon: 126.97}})
				if err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				if n%4 == 0 {
					if _, _, err := e.svc.Cancel(ctx, res.Reservation.ID); err != nil && ctx.Err() == nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func startProc(t *testing.T, args ...string) *proctest.Proc {
	t.Helper()
	return proctest.StartEnv(t, natstest.RoleEnv(natstest.Projector), projectorBin, args...)
}

// run runs a projector command to its end and returns its exit code and
// output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(projectorBin, args...)
	cmd.Env = append(os.Environ(), natstest.RoleEnv(natstest.Projector)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// waitCaughtUp waits until a running projector has applied every stream
// to its end, as the read model's lag reports it.
func (e *env) waitCaughtUp(t *testing.T) {
	t.Helper()
	client := projections.NewClient(e.nc, 2*time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for {
		lag, err := client.Lag(context.Background())
		done := err == nil
		for _, k := range eventstore.Kinds() {
			end, lerr := e.es.LastSeq(context.Background(), k)
			if lerr != nil || lag[k.Stream()].Checkpoint != end {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projector did not catch up in 60s: %v %v", lag, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The projector killed with SIGKILL at random moments, again and again
// while commands keep arriving, ends with views equal, key by key, to a
// fresh replay of the log.
func TestProjectorSurvivesKill9(t *testing.T) {
	e := newEnv(t)
	db := filepath.Join(t.TempDir(), "projector.db")
	ctx, stop := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { e.workload(ctx, t); close(loadDone) }()
	for i := range 6 {
		p := startProc(t, "--nats", e.ns.URL(), "--db", db)
		time.Sleep(time.Duration(150+rand.IntN(350)) * time.Millisecond)
		p.Kill(t)
		t.Logf("kill %d done", i+1)
	}
	stop()
	<-loadDone
	p := startProc(t, "--nats", e.ns.URL(), "--db", db)
	e.waitCaughtUp(t)
	p.Stop(t)
	var total uint64
	for _, k := range eventstore.Kinds() {
		end, _ := e.es.LastSeq(context.Background(), k)
		total += end
	}
	if total < 500 {
		t.Fatalf("only %d messages in the log: the workload did not run", total)
	}
	t.Logf("%d messages in the log", total)
	code, out := run(t, "verify", "--nats", e.ns.URL(), "--db", db)
	if code != 0 || !strings.Contains(out, "read model equals a fresh replay") {
		t.Fatalf("verify exited %d:\n%s", code, out)
	}
}

// A rebuild while commands keep arriving swaps a fresh read model in under
// the live projector, which goes on from there; afterwards verify finds no
// difference.
func TestRebuildWhileCommandsArrive(t *testing.T) {
	e := newEnv(t)
	db := filepath.Join(t.TempDir(), "projector.db")
	live := startProc(t, "--nats", e.ns.URL(), "--db", db)
	ctx, stop := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { e.workload(ctx, t); close(loadDone) }()
	time.Sleep(500 * time.Millisecond)
	code, out := run(t, "rebuild", "--nats", e.ns.URL(), "--db", db)
	if code != 0 || !strings.Contains(out, "rebuild:") {
		t.Fatalf("rebuild exited %d:\n%s", code, out)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	<-loadDone
	e.waitCaughtUp(t)
	// Verify against the live projector, which hands over a copy.
	code, out = run(t, "verify", "--nats", e.ns.URL(), "--db", db)
	if code != 0 {
		t.Fatalf("verify exited %d:\n%s\nlive projector:\n%s", code, out, live.Output())
	}
	if !strings.Contains(live.Output(), `"msg":"admin request done","process":"projector","op":"swap"`) {
		t.Fatalf("the live projector did not swap the rebuilt file in:\n%s", live.Output())
	}
}

// verify exits non-zero and names each difference when the read model
// differs from the log.
func TestVerifyReportsDifferences(t *testing.T) {
	e := newEnv(t)
	db := filepath.Join(t.TempDir(), "projector.db")
	ctx := context.Background()
	if _, _, err := e.svc.CreateProduct(ctx, domain.CreateProduct{ID: "phone-1", Name: "Phone", Stock: 5}); err != nil {
		t.Fatal(err)
	}
	// A read model that stopped early, then claims to be further on: its
	// checkpoint says it applied the restock, its views do not.
	if code, out := run(t, "rebuild", "--nats", e.ns.URL(), "--db", db); code != 0 {
		t.Fatalf("rebuild: %d %s", code, out)
	}
	if _, _, err := e.svc.Restock(ctx, "phone-1", domain.Restock{Quantity: 3}); err != nil {
		t.Fatal(err)
	}
	forgeCheckpoint(t, db, eventstore.Products, 2)
	code, out := run(t, "verify", "--nats", e.ns.URL(), "--db", db)
	if code == 0 || !strings.Contains(out, `products "phone-1"`) {
		t.Fatalf("verify exited %d, want a difference on phone-1:\n%s", code, out)
	}
}

// forgeCheckpoint sets a stream's checkpoint in a read model file without
// applying anything, as a bug or a bad restore might.
func forgeCheckpoint(t *testing.T, path string, k eventstore.Kind, seq uint64) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("checkpoints")).Put([]byte(k.Stream()), binary.BigEndian.AppendUint64(nil, seq))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The projector may start before the api: its NATS user may not create the
// streams, so it waits for them, stops cleanly while it waits, and serves
// once the api has created them.
func TestProjectorWaitsForTheStreams(t *testing.T) {
	ns := natstest.Start(t)
	db := filepath.Join(t.TempDir(), "projector.db")
	p := startProc(t, "--nats", ns.URL(), "--db", db)
	waitOutput(t, p, `"msg":"waiting for the stream`)
	p.Stop(t)

	p = startProc(t, "--nats", ns.URL(), "--db", db)
	waitOutput(t, p, `"msg":"waiting for the stream`)
	nc := ns.Connect(natstest.User(natstest.API))
	if _, err := eventstore.Open(context.Background(), nc, nil); err != nil {
		t.Fatal(err)
	}
	client := projections.NewClient(nc, 2*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := client.Lag(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector did not serve once the streams existed:\n%s", p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Stop(t)
}

// waitOutput waits until the process has written want.
func waitOutput(t *testing.T, p *proctest.Proc, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.Output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s:\n%s", want, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
