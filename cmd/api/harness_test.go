package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"

	nstest "github.com/tshop/tshop/internal/natstest"
)

// testAPI is one api process (its Main) running against a test's NATS.
type testAPI struct {
	t      testing.TB
	URL    string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startAPI runs the api's Main against the server at natsURL on a free
// port, with extra flags and optional hooks set before it runs.
func startAPI(t testing.TB, natsURL string, configure func(*Main), flags ...string) *testAPI {
	t.Helper()
	args := append([]string{"--nats", natsURL, "--http", "127.0.0.1:0"}, nstest.RoleFlags(nstest.API)...)
	m, err := NewMain(append(args, flags...), io.Discard)
	if err != nil {
		t.Fatalf("NewMain: %v", err)
	}
	if configure != nil {
		configure(m)
	}
	return runMain(t, m)
}

// runMain runs an api Main until the test ends.
func runMain(t testing.TB, m *Main) *testAPI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &testAPI{t: t, cancel: cancel, done: make(chan error, 1)}
	go func() { a.done <- m.Run(ctx) }()
	select {
	case addr := <-m.addr:
		a.URL = "http://" + addr.String()
	case err := <-a.done:
		cancel()
		t.Fatalf("api did not start: %v", err)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatal("api did not start in 15s")
	}
	t.Cleanup(a.Stop)
	return a
}

// Stop shuts the api down as SIGTERM would and checks it exited cleanly.
func (a *testAPI) Stop() {
	a.once.Do(func() {
		a.cancel()
		select {
		case err := <-a.done:
			if err != nil {
				a.t.Errorf("api exited with %v", err)
			}
		case <-time.After(20 * time.Second):
			a.t.Error("api did not stop in 20s")
		}
	})
}

// response is what a test keeps of an HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends a request with a JSON body (a string is sent as is) and reads
// the whole answer.
func (a *testAPI) do(method, path string, body any, header ...string) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		a.t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Errorf("%s %s: read body: %v", method, path, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// natstest starts the test's NATS server.
func natstest(t *testing.T) *nstest.Server {
	t.Helper()
	return nstest.Start(t)
}

// setup starts a NATS server, one projector and one api against it.
func setup(t *testing.T) (*nstest.Server, *testAPI) {
	t.Helper()
	ns := natstest(t)
	startProjector(t, ns.URL())
	return ns, startAPI(t, ns.URL(), nil)
}

// testProjector is one projector replica: a read model file of its own,
// fed from the log, answering queries over NATS.
type testProjector struct {
	DB     *projections.DB
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// startProjector runs a projector replica against the server at natsURL
// with its read model under t.TempDir().
func startProjector(t testing.TB, natsURL string, replicas ...int) *testProjector {
	t.Helper()
	createStreams(t, natsURL, replicas...)
	nc, err := nats.Connect(natsURL, nstest.User(nstest.Projector), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := projections.Open(filepath.Join(t.TempDir(), "projector.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p := &testProjector{DB: db, cancel: cancel, done: make(chan struct{})}
	proj := projections.NewProjector(es, db, nil)
	proj.PublishChanges(nc)
	var wg sync.WaitGroup
	wg.Go(func() { proj.Run(ctx) })
	ready := make(chan struct{})
	wg.Go(func() {
		if err := projections.Serve(ctx, nc, db, projections.ServiceConfig{Lag: proj.Lag, Swap: proj.Replace, End: es.LastSeq, Ready: func() { close(ready) }}); err != nil {
			t.Errorf("serve queries: %v", err)
		}
	})
	go func() { wg.Wait(); db.Close(); nc.Close(); close(p.done) }()
	select {
	case <-ready:
	case <-p.done:
		t.Fatal("projector stopped before it served")
	}
	t.Cleanup(p.Stop)
	return p
}

// createStreams creates the streams as the api would (with the given
// replicas), so that a projector, which may not create them, can start
// first.
func createStreams(t testing.TB, natsURL string, replicas ...int) {
	t.Helper()
	nc, err := nats.Connect(natsURL, nstest.User(nstest.Ops))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cfg := &eventstore.Config{}
	if len(replicas) > 0 {
		cfg.Replicas = replicas[0]
	}
	if _, err := eventstore.Open(context.Background(), nc, cfg); err != nil {
		t.Fatal(err)
	}
}

// Stop stops the replica as a shutdown would.
func (p *testProjector) Stop() {
	p.once.Do(func() {
		p.cancel()
		<-p.done
	})
}
