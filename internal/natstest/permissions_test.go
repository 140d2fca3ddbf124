package natstest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// These tests run against the users and permissions of nats-auth.conf, as
// nats.conf includes it.

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// asyncErrors keeps every asynchronous error of a connection: a refused
// publish or subscription shows only there.
type asyncErrors struct {
	mu   sync.Mutex
	errs []error
}

func (a *asyncErrors) option() nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.errs = append(a.errs, err)
	})
}

func (a *asyncErrors) get() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.errs...)
}

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

// Every process role does all of its work with its own user, and NATS
// refuses it nothing: the projector and the assigner start first and wait
// for the streams, the api creates them, takes a reservation (placer and
// canceller running) and cancels it, the assigner accepts and releases it,
// the projector serves the api's queries and its admin subject.
func TestEachRoleDoesItsWork(t *testing.T) {
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	type conn struct {
		role natstest.Role
		errs *asyncErrors
	}
	var conns []conn
	connect := func(r natstest.Role) *nats.Conn {
		a := &asyncErrors{}
		conns = append(conns, conn{r, a})
		return ns.Connect(natstest.User(r), a.option())
	}

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "projector.db")
	serving := make(chan struct{})
	pc := connect(natstest.Projector)
	wg.Go(func() {
		es, err := eventstore.Open(ctx, pc, &eventstore.Config{WaitForStreams: true, Logger: quiet()})
		if err != nil {
			t.Errorf("projector: open event store: %v", err)
			return
		}
		db, err := projections.Open(dbPath, quiet())
		if err != nil {
			t.Errorf("projector: %v", err)
			return
		}
		defer db.Close()
		p := projections.NewProjector(es, db, quiet())
		var pwg sync.WaitGroup
		pwg.Go(func() { p.Run(ctx) })
		defer pwg.Wait()
		err = projections.Serve(ctx, pc, db, projections.ServiceConfig{Lag: p.Lag, Swap: p.Replace, Logger: quiet(),
			Ready: func() { close(serving) }})
		if err != nil {
			t.Errorf("projector: serve: %v", err)
		}
	})
	ac := connect(natstest.Assigner)
	wg.Go(func() {
		es, err := eventstore.Open(ctx, ac, &eventstore.Config{WaitForStreams: true, Logger: quiet()})
		if err != nil {
			t.Errorf("assigner: open event store: %v", err)
			return
		}
		shop.New(es, &shop.Config{Logger: quiet()}).NewAssigner().Run(ctx)
	})

	// Neither may create the streams: both wait for the api.
	time.Sleep(time.Second)
	select {
	case <-serving:
		t.Fatal("the projector served before any stream existed")
	default:
	}

	apc := connect(natstest.API)
	es, err := eventstore.Open(ctx, apc, &eventstore.Config{Timeout: 5 * time.Second, Logger: quiet()})
	if err != nil {
		t.Fatalf("api: open event store: %v", err)
	}
	svc := shop.New(es, &shop.Config{Logger: quiet()})
	wg.Go(func() { svc.Run(ctx) })
	if _, _, err := svc.CreateProduct(ctx, domain.CreateProduct{ID: "galaxy-s26-256", Name: "Galaxy S26 256GB", Stock: 10}); err != nil {
		t.Fatalf("api: create product: %v", err)
	}
	if _, _, err := svc.RegisterStore(ctx, domain.RegisterStore{ID: "gangnam-01", Name: "T world Gangnam",
		Location: domain.Location{Lat: 37.4979, Lon: 127.0276}, Capacity: 5}); err != nil {
		t.Fatalf("api: register store: %v", err)
	}
	// Keyed: the api also reads the placer's progress and asks the leader.
	res, err := svc.Reserve(ctx, shop.ReserveRequest{ProductID: "galaxy-s26-256", CustomerID: "c-1001",
		Location: domain.Location{Lat: 37.56, Lon: 126.97}, IdempotencyKey: "first"})
	if err != nil {
		t.Fatalf("api: reserve: %v", err)
	}
	id := res.Reservation.ID
	select {
	case <-serving:
	case <-time.After(20 * time.Second):
		t.Fatal("the projector did not serve within 20s of the streams existing")
	}
	views := projections.NewClient(apc, 5*time.Second)
	status := func() domain.Status {
		r, err := views.Reservation(ctx, id.String(), res.Position)
		if err != nil {
			return ""
		}
		return r.Status
	}
	eventually(t, 20*time.Second, "accepted, as the read model has it", func() bool { return status() == domain.StatusAccepted })
	if _, _, err := svc.Cancel(ctx, id); err != nil {
		t.Fatalf("api: cancel: %v", err)
	}
	eventually(t, 20*time.Second, "cancelled, as the read model has it", func() bool { return status() == domain.StatusCancelled })
	holds := 0
	if err := es.Scan(ctx, eventstore.Products, "galaxy-s26-256", 1, func(m eventstore.Message) error {
		for _, e := range m.Events {
			if _, ok := e.(domain.StockReserved); ok {
				holds++
			}
		}
		return nil
	}); err != nil || holds != 1 {
		t.Fatalf("api: scan of the product's log: %d holds, %v", holds, err)
	}

	// projector verify and rebuild reach the serving projector as the
	// projector user; ops sees the service as `nats micro ls` does.
	if err := projections.Admin(ctx, connect(natstest.Projector), dbPath, "copy", filepath.Join(dir, "copy.db")); err != nil {
		t.Fatalf("projector: admin copy: %v", err)
	}
	if _, err := ns.Connect().Request("$SRV.PING.tshop-projector", nil, 5*time.Second); err != nil {
		t.Fatalf("ops: ping the projector's service: %v", err)
	}

	cancel()
	wg.Wait()
	for _, c := range conns {
		for _, err := range c.errs.get() {
			t.Errorf("%s: %v", c.role, err)
		}
	}
}

// op is something a role tries with its own user.
type op struct {
	pub    string          // publish to this subject
	sub    string          // subscribe to this subject
	jsPub  string          // JetStream publish to this subject, awaiting the ack
	append eventstore.Kind // append an event to this kind of aggregate
}

func (o op) String() string {
	switch {
	case o.pub != "":
		return "publish " + o.pub
	case o.sub != "":
		return "subscribe " + o.sub
	case o.jsPub != "":
		return "JetStream publish " + o.jsPub
	}
	return "append to " + o.append.Stream()
}

// subject is the subject NATS checks for the operation.
func (o op) subject(id string) string {
	switch {
	case o.pub != "":
		return o.pub
	case o.sub != "":
		return o.sub
	case o.jsPub != "":
		return o.jsPub
	}
	return o.append.Subject(id)
}

// Every role is refused what it does not need, and granted what it does
// (beyond TestEachRoleDoesItsWork, the cases here name subjects
// explicitly); nothing refused reaches a stream.
func TestPermissions(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	setup, err := eventstore.Open(ctx, ns.Connect(natstest.User(natstest.API)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ends := func() map[eventstore.Kind]uint64 {
		out := map[eventstore.Kind]uint64{}
		for _, k := range eventstore.Kinds() {
			seq, err := setup.LastSeq(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = seq
		}
		return out
	}
	const (
		api       = natstest.API
		projector = natstest.Projector
		assigner  = natstest.Assigner
		ops       = natstest.Ops
	)
	cases := []struct {
		role    natstest.Role
		op      op
		allowed bool
	}{
		// The assigner never writes products, nor touches the api's
		// consumers, nor the streams themselves.
		{assigner, op{append: eventstore.Products}, false},
		{assigner, op{pub: "tshop.product.galaxy-s26-256"}, false},
		{assigner, op{jsPub: "tshop.product.galaxy-s26-256"}, false},
		{assigner, op{pub: "$JS.API.DIRECT.GET.TSHOP_PRODUCTS.tshop.product.galaxy-s26-256"}, false},
		{assigner, op{pub: "$JS.API.STREAM.CREATE.TSHOP_PRODUCTS"}, false},
		{assigner, op{pub: "$JS.API.STREAM.UPDATE.TSHOP_STORES"}, false},
		{assigner, op{pub: "$JS.API.STREAM.DELETE.TSHOP_STORES"}, false},
		{assigner, op{pub: "$JS.API.STREAM.PURGE.TSHOP_RESERVATIONS"}, false},
		{assigner, op{pub: "$JS.API.STREAM.MSG.DELETE.TSHOP_STORES"}, false},
		{assigner, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_PRODUCTS.reservation-placer.tshop.product.*"}, false},
		{assigner, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.reservation-canceller.tshop.reservation.*"}, false},
		{assigner, op{pub: "$JS.API.CONSUMER.MSG.NEXT.TSHOP_RESERVATIONS.reservation-canceller"}, false},
		{assigner, op{pub: "$JS.API.CONSUMER.DELETE.TSHOP_RESERVATIONS.store-assigner"}, false},
		{assigner, op{pub: "$JS.ACK.TSHOP_PRODUCTS.reservation-placer.1.1.1.1.0"}, false},
		{assigner, op{pub: "tshop.query.products"}, false},
		{assigner, op{sub: "tshop.query.*"}, false},
		{assigner, op{sub: "tshop.>"}, false},
		{assigner, op{pub: "tshop.view.changed"}, false},
		// Nor any event of the api's: it writes only its own parts of
		// reservations and stores.
		{assigner, op{append: eventstore.Reservations}, false},
		{assigner, op{append: eventstore.Stores}, false},
		{assigner, op{pub: "tshop.reservation.x"}, false},
		{assigner, op{jsPub: "tshop.store.x"}, false},
		{assigner, op{append: eventstore.Assignments}, true},
		{assigner, op{append: eventstore.Slots}, true},

		// The projector writes nothing to the event streams, by any path.
		{projector, op{append: eventstore.Reservations}, false},
		{projector, op{append: eventstore.Products}, false},
		{projector, op{append: eventstore.Stores}, false},
		{projector, op{append: eventstore.Assignments}, false},
		{projector, op{append: eventstore.Slots}, false},
		{projector, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.store-releaser"}, false},
		{projector, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_STORES.status-notifier"}, false},
		{projector, op{pub: "tshop.reservation.x"}, false},
		{projector, op{jsPub: "tshop.reservation.x"}, false},
		{projector, op{pub: "$JS.API.STREAM.CREATE.TSHOP_RESERVATIONS"}, false},
		{projector, op{pub: "$JS.API.STREAM.UPDATE.TSHOP_RESERVATIONS"}, false},
		{projector, op{pub: "$JS.API.STREAM.DELETE.TSHOP_PRODUCTS"}, false},
		{projector, op{pub: "$JS.API.STREAM.PURGE.TSHOP_PRODUCTS"}, false},
		{projector, op{pub: "$JS.API.STREAM.MSG.DELETE.TSHOP_RESERVATIONS"}, false},
		{projector, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.store-assigner.tshop.reservation.*"}, false},
		{projector, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.store-assigner"}, false},
		{projector, op{pub: "$JS.API.CONSUMER.MSG.NEXT.TSHOP_PRODUCTS.reservation-placer"}, false},
		{projector, op{pub: "$JS.API.CONSUMER.DELETE.TSHOP_RESERVATIONS.reservation-canceller"}, false},
		{projector, op{pub: "$JS.ACK.TSHOP_RESERVATIONS.store-assigner.1.1.1.1.0"}, false},
		{projector, op{pub: "tshop.query.products"}, false},
		{projector, op{sub: "tshop.product.*"}, false},
		{projector, op{pub: "tshop.projector.admin.0123456789abcdef"}, true},
		{projector, op{pub: "_INBOX.answer"}, true},
		{projector, op{sub: "tshop.query.*"}, true},
		{projector, op{sub: "$SRV.PING"}, true},
		{projector, op{pub: "tshop.view.changed"}, true},

		// The api commands every aggregate and creates the streams, but
		// makes no assignment and takes no slot, neither deletes nor
		// purges a stream, nor uses the assigner's consumer, nor answers
		// queries in the read model's place.
		{api, op{append: eventstore.Assignments}, false},
		{api, op{append: eventstore.Slots}, false},
		{api, op{pub: "tshop.assignment.x"}, false},
		{api, op{jsPub: "tshop.slots.gangnam-01"}, false},
		{api, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.store-releaser"}, false},
		{api, op{append: eventstore.Reservations}, true},
		{api, op{append: eventstore.Stores}, true},
		{api, op{pub: "$JS.API.STREAM.DELETE.TSHOP_PRODUCTS"}, false},
		{api, op{pub: "$JS.API.STREAM.PURGE.TSHOP_RESERVATIONS"}, false},
		{api, op{pub: "$JS.API.STREAM.MSG.DELETE.TSHOP_STORES"}, false},
		{api, op{pub: "$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS.store-assigner.tshop.reservation.*"}, false},
		{api, op{pub: "$JS.API.CONSUMER.MSG.NEXT.TSHOP_RESERVATIONS.store-assigner"}, false},
		{api, op{pub: "$JS.API.CONSUMER.DELETE.TSHOP_PRODUCTS.reservation-placer"}, false},
		{api, op{pub: "$JS.ACK.TSHOP_RESERVATIONS.store-assigner.1.1.1.1.0"}, false},
		{api, op{pub: "tshop.projector.admin.0123456789abcdef"}, false},
		{api, op{sub: "tshop.query.*"}, false},
		{api, op{sub: "$SRV.>"}, false},
		{api, op{sub: "tshop.product.*"}, false},
		{api, op{append: eventstore.Products}, true},
		{api, op{pub: "tshop.query.products"}, true},
		{api, op{sub: "tshop.view.changed"}, true},
		{api, op{pub: "tshop.view.changed"}, false},

		{ops, op{pub: "$JS.API.STREAM.INFO.TSHOP_PRODUCTS"}, true},
		{ops, op{sub: ">"}, true},
	}
	before := ends()
	stored := 0
	for _, c := range cases {
		t.Run(string(c.role)+" "+c.op.String(), func(t *testing.T) {
			nc := ns.Connect(natstest.User(c.role))
			id := uuid.NewString()
			var err error
			switch {
			case c.op.pub != "":
				err = nc.Publish(c.op.pub, []byte("{}"))
			case c.op.sub != "":
				_, err = nc.SubscribeSync(c.op.sub)
			case c.op.jsPub != "":
				js, _ := jetstream.New(nc)
				actx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				_, err = js.Publish(actx, c.op.jsPub, []byte("{}"))
				cancel()
			default:
				err = appendOne(ctx, nc, c.op.append, id)
				if err == nil {
					stored++
				}
			}
			if ferr := nc.Flush(); ferr != nil {
				t.Fatal(ferr)
			}
			last := nc.LastError()
			if c.allowed {
				if err != nil || last != nil {
					t.Fatalf("refused: %v, %v", err, last)
				}
				return
			}
			if !errors.Is(last, nats.ErrPermissionViolation) || !strings.Contains(last.Error(), `"`+c.op.subject(id)+`"`) {
				t.Fatalf("not refused: the connection's error is %v", last)
			}
			if write := c.op.pub == "" && c.op.sub == ""; write && err == nil {
				t.Fatal("the write reports success")
			}
		})
	}
	// Only the allowed appends reached the log.
	after := ends()
	n := 0
	for _, k := range eventstore.Kinds() {
		n += int(after[k] - before[k])
	}
	if n != stored {
		t.Errorf("the streams grew by %d messages, %d allowed appends", n, stored)
	}
}

// appendOne appends one event to aggregate id of kind k through the event
// store, as the connection's user.
func appendOne(ctx context.Context, nc *nats.Conn, k eventstore.Kind, id string) error {
	// Every role may look the streams up; a short timeout, since a refused
	// append is never acked.
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true, Timeout: 500 * time.Millisecond, Logger: quiet()})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var e domain.Event
	var state any
	switch k {
	case eventstore.Products:
		e = domain.ProductCreated{ProductID: id, Name: "Phone", Stock: 1, At: now}
		state = domain.Product{}.Evolve(e)
	case eventstore.Reservations:
		e = domain.ReservationPlaced{ReservationID: uuid.MustParse(id), ProductID: "phone", CustomerID: "c-1", At: now}
		state = domain.Reservation{}.Evolve(e)
	case eventstore.Assignments:
		e = domain.ReservationAccepted{ReservationID: uuid.MustParse(id), StoreID: "gangnam-01", At: now}
		state = domain.Reservation{}.Evolve(e).Assignment
	case eventstore.Slots:
		e = domain.StoreSlotTaken{StoreID: id, ReservationID: uuid.New(), At: now}
		state = domain.Store{}.Evolve(e).Slots()
	default:
		e = domain.StoreRegistered{StoreID: id, Name: "Store", Capacity: 1, At: now}
		state = domain.Store{}.Evolve(e)
	}
	_, err = es.Append(ctx, k, id, 0, "", []domain.Event{e}, state)
	return err
}

// A user logs in with its password or not at all.
func TestLoginRequired(t *testing.T) {
	ns := natstest.Start(t)
	for _, opts := range [][]nats.Option{
		nil,
		{nats.UserInfo(string(natstest.API), "wrong")},
		{nats.UserInfo(string(natstest.Ops), natstest.Password(natstest.API))},
	} {
		nc, err := nats.Connect(ns.URL(), opts...)
		if err == nil {
			nc.Close()
			t.Fatalf("connected with %d options", len(opts))
		}
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("login refused with %v, want an authorization violation", err)
		}
	}
}

// A role that may create consumers on a stream may name any deliver subject
// for a push consumer, an event subject of another stream too. NATS
// delivers only while a client subscribes to that subject, which no process
// role may do, so nothing reaches the other stream.
func TestConsumerCannotDeliverIntoAnotherStream(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	api, err := eventstore.Open(ctx, ns.Connect(natstest.User(natstest.API)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := appendOne(ctx, ns.Connect(natstest.User(natstest.API)), eventstore.Reservations, uuid.NewString()); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(ns.Connect(natstest.User(natstest.Projector)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdatePushConsumer(ctx, eventstore.Reservations.Stream(), jetstream.ConsumerConfig{
		Name: "into-products", FilterSubjects: []string{"tshop.reservation.*", "tshop.assignment.*"}, DeliverSubject: eventstore.Products.Subject("galaxy-s26-256"),
		AckPolicy: jetstream.AckNonePolicy,
	}); err != nil {
		t.Fatalf("create the push consumer: %v", err)
	}
	time.Sleep(time.Second)
	if seq, err := api.LastSeq(ctx, eventstore.Products); err != nil || seq != 0 {
		t.Fatalf("the product stream is at %d (%v), want empty", seq, err)
	}
}
