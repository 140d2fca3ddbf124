package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/notify"
	"github.com/tshop/tshop/webhook"
)

// receive runs the local receiver until ctx ends: what `make run` points
// the notifier at, and an example of what a receiver does.
func (m *Main) receive(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newReceiver(m.cfg.Secret, m.tolerance, m.log), ReadHeaderTimeout: 5 * time.Second}
	m.log.Info("receiver listening", "addr", ln.Addr().String())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-stopped
	m.log.Info("receiver stopped")
	return nil
}

// receiverMemory bounds how many event ids and reservations the receiver
// remembers; beyond it, the oldest are forgotten.
const receiverMemory = 100_000

// receiver checks each request's signature, answers 200 to every valid one
// (a duplicate too: the sender must stop retrying it), and logs each
// notification once, as JSON, deduped by event id. It warns when a
// notification does not follow the last one it logged for the reservation:
// a change in between was parked.
type receiver struct {
	secret    []byte
	tolerance time.Duration
	log       *slog.Logger

	mu     sync.Mutex
	seen   map[string]bool
	order  []string
	status map[string]domain.Status
}

func newReceiver(secret []byte, tolerance time.Duration, log *slog.Logger) *receiver {
	return &receiver{secret: secret, tolerance: tolerance, log: log, seen: map[string]bool{}, status: map[string]domain.Status{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a notification", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	if err := webhook.Verify(rc.secret, r.Header, body, rc.tolerance, time.Now()); err != nil {
		rc.log.Warn("refused a request", "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var n notify.Notification
	id := r.Header.Get(webhook.HeaderEventID)
	if err := json.Unmarshal(body, &n); err != nil || id == "" || n.ID != id {
		rc.log.Warn("refused a request", "remote", r.RemoteAddr, "err", "not a notification, or its event id header differs")
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	attempt := r.Header.Get(webhook.HeaderAttempt)
	last, first := rc.remember(n)
	if !first {
		rc.log.Info("duplicate notification", "notification", id, "reservation", n.ReservationID, "attempt", attempt)
		w.WriteHeader(http.StatusOK)
		return
	}
	if last != n.PreviousStatus && last != "" {
		rc.log.Warn("notification does not follow the last one received for its reservation (was one parked?)",
			"notification", id, "reservation", n.ReservationID, "last_status", last, "previous_status", n.PreviousStatus)
	}
	rc.log.Info("notification", "notification", id, "event", n.Event, "reservation", n.ReservationID,
		"customer", n.CustomerID, "product", n.ProductID, "status", n.Status, "statusLabel", n.StatusLabel,
		"previousStatus", n.PreviousStatus, "store", n.StoreID, "sequence", n.Sequence, "at", n.At, "attempt", attempt)
	w.WriteHeader(http.StatusOK)
}

// remember records n, and returns the last status logged for its
// reservation and whether n is new.
func (rc *receiver) remember(n notify.Notification) (last domain.Status, first bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen[n.ID] {
		return "", false
	}
	rc.seen[n.ID] = true
	rc.order = append(rc.order, n.ID)
	if len(rc.order) > receiverMemory {
		delete(rc.seen, rc.order[0])
		rc.order = rc.order[1:]
	}
	if len(rc.status) > receiverMemory {
		clear(rc.status)
	}
	last = rc.status[n.ReservationID]
	rc.status[n.ReservationID] = n.Status
	return last, true
}
