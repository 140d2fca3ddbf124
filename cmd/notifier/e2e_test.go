package main_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/internal/proctest"
	"github.com/tshop/tshop/notify"
)

// The receiver fails, then times out, then recovers: every status change
// of every reservation arrives, once each after dedupe by event id, in
// order, signed, though two notifiers share the work.
func TestEveryStatusChangeArrivesInOrder(t *testing.T) {
	e := newEnv(t)
	n := 0
	rc := newReceiver(t, func(notify.Notification) answer {
		n++
		switch {
		case n <= 8:
			return fail
		case n <= 14:
			return hang
		}
		return ok
	})
	a := e.startNotifier(t, rc.url())
	b := e.startNotifier(t, rc.url())
	running(t, a)
	running(t, b)
	want := map[uuid.UUID][]domain.Status{}
	for i, s := range [][]domain.Status{cancelled, fulfilled, rejected, cancelled, fulfilled, rejected} {
		want[e.scenario(t, fmt.Sprintf("c-%d", i), s)] = s
	}
	rc.waitDelivered(t, want, 90*time.Second)
	delivered := rc.count()
	rc.mu.Lock()
	if rc.requests < delivered+14 {
		t.Errorf("%d requests for %d notifications: the failures and timeouts were not retried", rc.requests, delivered)
	}
	rc.mu.Unlock()
	a.Stop(t)
	b.Stop(t)
	for _, p := range []string{a.Output(), b.Output()} {
		if strings.Contains(p, secret) {
			t.Fatal("the webhook secret is in a notifier's log")
		}
	}
	if !strings.Contains(a.Output()+b.Output(), `"msg":"notification failed; retrying"`) {
		t.Error("no failed attempt logged")
	}
}

// A notifier killed with SIGKILL while its requests hang, with status
// changes waiting, loses none of them: a new one delivers them all, in
// order, once the receiver answers again.
func TestKilledNotifierLosesNothing(t *testing.T) {
	e := newEnv(t)
	accepted := 0
	rc := newReceiver(t, func(notify.Notification) answer {
		if accepted < 6 {
			accepted++
			return ok
		}
		return hang
	})
	p := e.startNotifier(t, rc.url())
	want := map[uuid.UUID][]domain.Status{}
	for i, s := range [][]domain.Status{cancelled, fulfilled, rejected, cancelled} {
		want[e.scenario(t, fmt.Sprintf("c-%d", i), s)] = s
	}
	eventually(t, 30*time.Second, "requests hanging", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		return rc.requests > 8
	})
	p.Kill(t)
	if got := rc.count(); got != 6 {
		t.Fatalf("%d notifications accepted before the kill, want 6", got)
	}
	rc.setAnswer(func(notify.Notification) answer { return ok })
	again := e.startNotifier(t, rc.url())
	rc.waitDelivered(t, want, 90*time.Second)
	again.Stop(t)
}

// One reservation whose notifications keep failing holds up no other:
// theirs all arrive meanwhile, and its own arrive, in order, once the
// receiver takes them.
func TestOneFailingReservationDoesNotBlockTheOthers(t *testing.T) {
	e := newEnv(t)
	var recovered atomic.Bool
	rc := newReceiver(t, func(n notify.Notification) answer {
		if n.CustomerID == "c-stuck" && !recovered.Load() {
			return fail
		}
		return ok
	})
	p := e.startNotifier(t, rc.url(), "--concurrency", "2")
	stuck := e.scenario(t, "c-stuck", cancelled)
	others := map[uuid.UUID][]domain.Status{}
	for i, s := range [][]domain.Status{fulfilled, rejected, cancelled, fulfilled} {
		others[e.scenario(t, fmt.Sprintf("c-%d", i), s)] = s
	}
	rc.waitDelivered(t, others, 60*time.Second)
	if got := rc.notifications(stuck); len(got) != 0 {
		t.Fatalf("the failing reservation had %d notifications accepted", len(got))
	}
	recovered.Store(true)
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{stuck: cancelled}, 60*time.Second)
	p.Stop(t)
}

// A notification that fails for longer than --retry-for is parked: logged
// at error level and listed by `notifier parked`, with the reservation's
// later changes parked after it, in order; the other reservations are
// delivered.
func TestParksAfterTheLastRetry(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(n notify.Notification) answer {
		if n.CustomerID == "c-doomed" {
			return fail
		}
		return ok
	})
	p := e.startNotifier(t, rc.url()+"?token=hidden", "--retry-for", "1s")
	doomed := e.scenario(t, "c-doomed", cancelled)
	fine := e.scenario(t, "c-fine", fulfilled)
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{fine: fulfilled}, 60*time.Second)
	const parkedLine = `"level":"ERROR","msg":"notification parked after its last attempt"`
	eventually(t, 60*time.Second, "four notifications parked", func() bool {
		return strings.Count(p.Output(), parkedLine) == len(cancelled)
	})
	for _, list := range [][]notify.Parked{e.parked(t), e.parked(t, "--reservation", doomed.String())} {
		var statuses []domain.Status
		for _, rec := range list {
			statuses = append(statuses, rec.Notification.Status)
			n := rec.Notification
			if n.ReservationID != doomed.String() || n.ID == "" || rec.Attempts < 2 || !strings.Contains(rec.LastError, "500") ||
				rec.URL != rc.url() || rec.ParkedAt.IsZero() || rec.LastAttempt.Sub(rec.FirstAttempt) < 500*time.Millisecond {
				t.Errorf("parked %+v", rec)
			}
		}
		if fmt.Sprint(statuses) != fmt.Sprint(cancelled) {
			t.Errorf("parked statuses %v, want %v", statuses, cancelled)
		}
	}
	if list := e.parked(t, "--reservation", fine.String()); len(list) != 0 {
		t.Errorf("%d notifications of a delivered reservation parked", len(list))
	}
	if got := rc.notifications(doomed); len(got) != 0 {
		t.Errorf("%d notifications of the failing reservation accepted", len(got))
	}
	if strings.Contains(p.Output(), "hidden") {
		t.Error("the webhook URL's query is in the log")
	}
	p.Stop(t)
}

// A message on a reservation's subject that does not decode is parked, and
// the reservation's changes after it are still delivered, in order.
func TestUndecodableMessageIsParked(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(notify.Notification) answer { return ok })
	p := e.startNotifier(t, rc.url())
	id := e.reserve(t, "c-odd")
	r := e.waitStatus(t, id, domain.StatusAccepted)
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{id: fulfilled[:2]}, 30*time.Second)
	js, err := jetstream.New(e.nc)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(t.Context(), eventstore.Reservations.Subject(id.String()), []byte("not an event"))
	if err != nil {
		t.Fatal(err)
	}
	done := domain.ReservationFulfilled{ReservationID: id, Method: domain.StoreVisit, At: time.Now().UTC()}
	if _, err := e.es.Append(t.Context(), eventstore.Reservations, id.String(), ack.Sequence, "", []domain.Event{done}, r.Evolve(done)); err != nil {
		t.Fatal(err)
	}
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{id: fulfilled}, 30*time.Second)
	list := e.parked(t)
	if len(list) != 1 || list[0].Notification.ReservationID != id.String() || list[0].Notification.Sequence != ack.Sequence ||
		!strings.Contains(list[0].LastError, "undecodable") {
		t.Fatalf("parked %+v, want the undecodable message at %d", list, ack.Sequence)
	}
	p.Stop(t)
}

// Three notifiers, a receiver that fails or hangs at random, one notifier
// killed mid-way: every status change still arrives, in order per
// reservation.
func TestFlakyReceiverAndACrash(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(notify.Notification) answer {
		switch r := rand.IntN(10); {
		case r < 3:
			return fail
		case r < 4:
			return hang
		}
		return ok
	})
	procs := []*proctest.Proc{e.startNotifier(t, rc.url()), e.startNotifier(t, rc.url()), e.startNotifier(t, rc.url())}
	for _, p := range procs {
		running(t, p)
	}
	want := map[uuid.UUID][]domain.Status{}
	scenarios := [][]domain.Status{cancelled, fulfilled, rejected}
	for i := range 12 {
		if i == 6 {
			procs[0].Kill(t)
			procs[0] = e.startNotifier(t, rc.url())
		}
		s := scenarios[i%len(scenarios)]
		want[e.scenario(t, fmt.Sprintf("c-%d", i), s)] = s
	}
	rc.waitDelivered(t, want, 120*time.Second)
	for _, p := range procs {
		p.Stop(t)
	}
}

// SIGTERM while a request is in flight: the request completes, its result
// is recorded, and the notifier exits 0; the next one does not send it
// again.
func TestStopFinishesInFlight(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	var once sync.Once
	rc := newReceiver(t, func(notify.Notification) answer { return ok })
	rc.setAnswer(func(notify.Notification) answer {
		once.Do(func() { close(started) })
		return slow
	})
	p := e.startNotifier(t, rc.url(), "--timeout", "5s")
	id := e.reserve(t, "c-stop")
	<-started
	p.Stop(t)
	if got := rc.notifications(id); len(got) != 1 || got[0].Status != domain.StatusPlaced {
		t.Fatalf("after SIGTERM mid-request the receiver has %v, want the PLACED notification", got)
	}
	rc.setAnswer(func(notify.Notification) answer { return ok })
	again := e.startNotifier(t, rc.url())
	e.waitStatus(t, id, domain.StatusAccepted)
	if _, _, err := e.svc.Fulfil(t.Context(), id, domain.Fulfil{Method: domain.Delivery}); err != nil {
		t.Fatal(err)
	}
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{id: fulfilled}, 30*time.Second)
	again.Stop(t)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.dups != 0 {
		t.Errorf("%d notifications sent again after a clean stop", rc.dups)
	}
}

// On a 3-node cluster, with every stream replicated, two notifiers on
// different nodes and a receiver that fails at random: every status change
// arrives, in order.
func TestOnACluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	e := newEnvOn(t, c.URL(), c.Servers[0].Connect(), natstest.RoleEnv(natstest.Notifier), 3)
	rc := newReceiver(t, func(notify.Notification) answer {
		if rand.IntN(4) == 0 {
			return fail
		}
		return ok
	})
	a := e.startNotifier(t, rc.url(), "--replicas", "3", "--nats", c.Servers[1].URL())
	b := e.startNotifier(t, rc.url(), "--replicas", "3", "--nats", c.Servers[2].URL())
	running(t, a)
	running(t, b)
	want := map[uuid.UUID][]domain.Status{}
	for i, s := range [][]domain.Status{cancelled, fulfilled, rejected, cancelled, fulfilled, rejected} {
		want[e.scenario(t, fmt.Sprintf("c-%d", i), s)] = s
	}
	rc.waitDelivered(t, want, 120*time.Second)
	a.Stop(t)
	b.Stop(t)
}
