package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/internal/proctest"
	"github.com/tshop/tshop/notify"
	"github.com/tshop/tshop/shop"
	"github.com/tshop/tshop/webhook"
)

var notifierBin string

func TestMain(m *testing.M) { proctest.Main(m, "notifier", ".", &notifierBin) }

// secret is the webhook secret of every test.
const secret = "test-webhook-secret-0123456789"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// env is NATS with the shop running in the test's process, api and
// assigner both: reservations are placed, accepted, cancelled, fulfilled
// and rejected for real, and the notifier under test runs as a process.
type env struct {
	url string
	nc  *nats.Conn
	es  *eventstore.Store
	svc *shop.Service
	// login is the environment that logs a notifier process in to NATS.
	login []string
}

// newEnv starts NATS as nats.conf configures it. nats-auth.conf has no
// notifier user yet: until it has, notifier processes log in as ops here,
// and permissions_test.go checks the notifier's own permission list.
func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	// The shop here does the api's and the assigner's work on one
	// connection: log it in as ops.
	return newEnvOn(t, ns.URL(), ns.Connect(), natstest.RoleEnv(natstest.Notifier), 1)
}

// newEnvOn runs the shop over nc, a connection to the NATS at url, with
// streams of the given replicas.
func newEnvOn(t *testing.T, url string, nc *nats.Conn, login []string, replicas int) *env {
	t.Helper()
	es, err := eventstore.Open(context.Background(), nc, &eventstore.Config{Replicas: replicas, Timeout: 5 * time.Second, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	svc := shop.New(es, &shop.Config{Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { svc.Run(ctx) })
	wg.Go(func() { svc.NewAssigner().Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	e := &env{url: url, nc: nc, es: es, svc: svc, login: login}
	stored(t, func() error {
		_, _, err := svc.CreateProduct(ctx, domain.CreateProduct{ID: "galaxy", Name: "Galaxy", Stock: 1000})
		return err
	})
	for i, id := range []string{"gangnam", "jongno"} {
		st := domain.RegisterStore{ID: id, Name: "Store " + id, Location: domain.Location{Lat: 37.5 + float64(i)/10, Lon: 127}, Capacity: 500}
		stored(t, func() error {
			_, _, err := svc.RegisterStore(ctx, st)
			return err
		})
	}
	return e
}

// stored runs a create until it is stored: a new replicated stream may not
// answer for a moment after it is made (no leader yet), and a create whose
// answer was lost is found already there.
func stored(t *testing.T, create func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := create()
		if err == nil || errors.Is(err, domain.ErrAlreadyExists) {
			return
		}
		if !errors.Is(err, eventstore.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startNotifier runs a notifier posting to url, with short timeouts and
// backoffs; args add or override flags.
func (e *env) startNotifier(t *testing.T, url string, args ...string) *proctest.Proc {
	t.Helper()
	base := []string{"--nats", e.url, "--webhook-url", url, "--timeout", "500ms",
		"--retry-initial", "20ms", "--retry-max", "250ms", "--retry-for", "10m", "--concurrency", "4"}
	return proctest.StartEnv(t, append(slices.Clone(e.login), "TSHOP_WEBHOOK_SECRET="+secret), notifierBin, append(base, args...)...)
}

// running waits until the notifier p is running: its streams opened, its
// consumer joined.
func running(t *testing.T, p *proctest.Proc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.Output(), `"msg":"notifier running"`) {
		if time.Now().After(deadline) {
			t.Fatalf("notifier running: not within 60s; its output:\n%s", p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) reserve(t *testing.T, customer string) uuid.UUID {
	t.Helper()
	res, err := e.svc.Reserve(context.Background(), shop.ReserveRequest{ProductID: "galaxy", CustomerID: customer, Location: domain.Location{Lat: 37.5, Lon: 127}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Reservation.ID
}

func (e *env) reservation(t *testing.T, id uuid.UUID) domain.Reservation {
	t.Helper()
	r, err := e.svc.Reservation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) waitStatus(t *testing.T, id uuid.UUID, want domain.Status) domain.Reservation {
	t.Helper()
	var r domain.Reservation
	eventually(t, 30*time.Second, fmt.Sprintf("reservation %s %s", id, want), func() bool {
		r = e.reservation(t, id)
		return r.Status == want
	})
	return r
}

// The status sequences each scenario goes through.
var (
	cancelled = []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusCancelling, domain.StatusCancelled}
	fulfilled = []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusFulfilled}
	rejected  = []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusPlaced, domain.StatusAccepted}
)

// scenario takes a reservation placed for customer through want's
// statuses, one command at a time, and returns it.
func (e *env) scenario(t *testing.T, customer string, want []domain.Status) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := e.reserve(t, customer)
	r := e.waitStatus(t, id, domain.StatusAccepted)
	switch {
	case slices.Equal(want, cancelled):
		if _, _, err := e.svc.Cancel(ctx, id); err != nil {
			t.Fatal(err)
		}
		e.waitStatus(t, id, domain.StatusCancelled)
	case slices.Equal(want, fulfilled):
		if _, _, err := e.svc.Fulfil(ctx, id, domain.Fulfil{Method: domain.Delivery}); err != nil {
			t.Fatal(err)
		}
	case slices.Equal(want, rejected):
		if _, _, err := e.svc.Reject(ctx, id, domain.Reject{StoreID: r.StoreID, Reason: "no staff"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "accepted by the other store", func() bool {
			again := e.reservation(t, id)
			return again.Status == domain.StatusAccepted && again.StoreID != r.StoreID
		})
	default:
		t.Fatalf("no scenario for %v", want)
	}
	return id
}

// Receiver answers.
type answer int

const (
	ok   answer = iota
	fail        // 500
	hang        // no answer until the notifier gives up
	slow        // 200 after a second
)

// receiver is a webhook receiver as a customer channel would run one: it
// verifies every signature, dedupes by event id and records, per
// reservation, the notifications it accepted, in the order it accepted
// them. answer decides, per request, what it answers.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	answer   func(n notify.Notification) answer
	requests int
	invalid  int
	dups     int
	seen     map[string]bool
	got      map[string][]notify.Notification
}

func newReceiver(t *testing.T, a func(notify.Notification) answer) *receiver {
	t.Helper()
	rc := &receiver{answer: a, seen: map[string]bool{}, got: map[string][]notify.Notification{}}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/hooks/tshop" }

func (rc *receiver) setAnswer(a func(notify.Notification) answer) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = a
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var n notify.Notification
	if webhook.Verify([]byte(secret), r.Header, body, 0, time.Now()) != nil ||
		json.Unmarshal(body, &n) != nil || n.ID == "" || r.Header.Get(webhook.HeaderEventID) != n.ID {
		rc.mu.Lock()
		rc.invalid++
		rc.mu.Unlock()
		http.Error(w, "invalid", http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	rc.requests++
	a := rc.answer(n)
	rc.mu.Unlock()
	switch a {
	case fail:
		http.Error(w, "receiver failing", http.StatusInternalServerError)
		return
	case hang:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case slow:
		time.Sleep(time.Second)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen[n.ID] {
		rc.dups++
	} else {
		rc.seen[n.ID] = true
		rc.got[n.ReservationID] = append(rc.got[n.ReservationID], n)
	}
	w.WriteHeader(http.StatusOK)
}

// notifications is what the receiver accepted for reservation id.
func (rc *receiver) notifications(id uuid.UUID) []notify.Notification {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got[id.String()])
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, got := range rc.got {
		n += len(got)
	}
	return n
}

// waitDelivered waits until the receiver accepted len(want) notifications
// of each reservation, then checks them.
func (rc *receiver) waitDelivered(t *testing.T, want map[uuid.UUID][]domain.Status, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, "every status change delivered", func() bool {
		for id, statuses := range want {
			if len(rc.notifications(id)) < len(statuses) {
				return false
			}
		}
		return true
	})
	for id, statuses := range want {
		checkInOrder(t, id, rc.notifications(id), statuses)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.invalid > 0 {
		t.Errorf("%d requests with an invalid signature", rc.invalid)
	}
}

// checkInOrder checks that got, a reservation's notifications as accepted
// (duplicates dropped), are exactly its status changes, in order, each
// following the one before.
func checkInOrder(t *testing.T, id uuid.UUID, got []notify.Notification, want []domain.Status) {
	t.Helper()
	var statuses []domain.Status
	for _, n := range got {
		statuses = append(statuses, n.Status)
	}
	if !slices.Equal(statuses, want) {
		t.Errorf("reservation %s: statuses %v, want %v", id, statuses, want)
		return
	}
	prev := notify.Notification{}
	for i, n := range got {
		if n.ReservationID != id.String() || n.PreviousStatus != prev.Status || n.StatusLabel != n.Status.Label() ||
			n.CustomerID == "" || n.ProductID != "galaxy" || n.At.IsZero() || n.Event == "" {
			t.Errorf("reservation %s: notification %d is %+v after %+v", id, i, n, prev)
		}
		if i > 0 && n.Sequence < prev.Sequence {
			t.Errorf("reservation %s: notification %d at sequence %d after %d", id, i, n.Sequence, prev.Sequence)
		}
		switch n.Status {
		case domain.StatusAccepted:
			if n.StoreID == "" {
				t.Errorf("reservation %s: %s without a store", id, n.Status)
			}
		case domain.StatusPlaced, domain.StatusCancelled:
			if n.StoreID != "" {
				t.Errorf("reservation %s: %s with store %q", id, n.Status, n.StoreID)
			}
		}
		prev = n
	}
}

// parked runs `notifier parked` and returns what it lists.
func (e *env) parked(t *testing.T, args ...string) []notify.Parked {
	t.Helper()
	p := proctest.StartEnv(t, e.login, notifierBin, append([]string{"parked", "--nats", e.url}, args...)...)
	if err := p.Cmd.Wait(); err != nil {
		t.Fatalf("notifier parked: %v\n%s", err, p.Output())
	}
	var list []notify.Parked
	for line := range strings.Lines(p.Output()) {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec notify.Parked
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("notifier parked printed %q: %v", line, err)
		}
		if rec.Notification.ID != "" { // not a log line
			list = append(list, rec)
		}
	}
	return list
}
