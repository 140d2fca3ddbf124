package main_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/notify"
)

// notifierPublish is every subject the notifier's NATS user publishes to:
// the list for its user in nats-auth.conf. It subscribes to _INBOX.> only.
var notifierPublish = []string{
	// The event streams: it waits for them, it never creates or changes them.
	"$JS.API.STREAM.INFO.TSHOP_PRODUCTS",
	"$JS.API.STREAM.INFO.TSHOP_RESERVATIONS",
	"$JS.API.STREAM.INFO.TSHOP_STORES",
	// A reservation's next message (eventstore.Next), from any replica or
	// from the stream leader.
	"$JS.API.DIRECT.GET.TSHOP_RESERVATIONS",
	"$JS.API.STREAM.MSG.GET.TSHOP_RESERVATIONS",
	// Its durable consumer.
	"$JS.API.CONSUMER.CREATE.TSHOP_RESERVATIONS." + notify.Durable,
	"$JS.API.CONSUMER.MSG.NEXT.TSHOP_RESERVATIONS." + notify.Durable,
	"$JS.ACK.TSHOP_RESERVATIONS." + notify.Durable + ".>",
	// Its backlog, for the tshop_consumer_backlog metric.
	"$JS.API.CONSUMER.INFO.TSHOP_RESERVATIONS." + notify.Durable,
	// Its own streams, which it creates: progress rows and parked
	// notifications.
	"$JS.API.STREAM.INFO.TSHOP_NOTIFIER_PROGRESS",
	"$JS.API.STREAM.CREATE.TSHOP_NOTIFIER_PROGRESS",
	"$JS.API.STREAM.UPDATE.TSHOP_NOTIFIER_PROGRESS",
	"$JS.API.DIRECT.GET.TSHOP_NOTIFIER_PROGRESS.>",
	"$JS.API.STREAM.MSG.GET.TSHOP_NOTIFIER_PROGRESS",
	"tshop.notifier.progress.*",
	"$JS.API.STREAM.INFO.TSHOP_NOTIFIER_PARKED",
	"$JS.API.STREAM.CREATE.TSHOP_NOTIFIER_PARKED",
	"$JS.API.STREAM.UPDATE.TSHOP_NOTIFIER_PARKED",
	"$JS.API.STREAM.MSG.GET.TSHOP_NOTIFIER_PARKED",
	"tshop.notifier.parked.*",
}

// The notifier does all its work, `notifier parked` included, with no more
// than notifierPublish, and may write no event.
func TestNotifierPermissions(t *testing.T) {
	opts := &server.Options{JetStream: true, StoreDir: t.TempDir(), Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true,
		Users: []*server.User{
			{Username: "ops", Password: "ops-password"},
			{Username: "notifier", Password: "notifier-password", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: notifierPublish},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
			}},
		}}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	ops, err := nats.Connect(srv.ClientURL(), nats.UserInfo("ops", "ops-password"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ops.Close)
	e := newEnvOn(t, srv.ClientURL(), ops, []string{"NATS_USER=notifier", "NATS_PASSWORD=notifier-password"}, 1)

	rc := newReceiver(t, func(n notify.Notification) answer {
		if n.CustomerID == "c-doomed" {
			return fail
		}
		return ok
	})
	p := e.startNotifier(t, rc.url(), "--retry-for", "1s", "--ops-addr", "127.0.0.1:0")
	doomed := e.scenario(t, "c-doomed", fulfilled)
	fine := e.scenario(t, "c-fine", cancelled)
	rc.waitDelivered(t, map[uuid.UUID][]domain.Status{fine: cancelled}, 60*time.Second)
	eventually(t, 60*time.Second, "the failing reservation's notifications parked", func() bool {
		return strings.Count(p.Output(), `"msg":"notification parked after its last attempt"`) == len(fulfilled)
	})
	if list := e.parked(t, "--reservation", doomed.String()); len(list) != len(fulfilled) {
		t.Errorf("notifier parked lists %d, want %d", len(list), len(fulfilled))
	}
	// Its metrics count the attempts and read its consumer's backlog.
	var opsAddr string
	for _, l := range logLines(p.Output()) {
		if l["msg"] == "ops listener" {
			opsAddr, _ = l["addr"].(string)
		}
	}
	eventually(t, 20*time.Second, "metrics", func() bool {
		resp, err := http.Get("http://" + opsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := string(b)
		return strings.Contains(m, `tshop_notification_attempts_total{outcome="parked"} 3`) &&
			strings.Contains(m, `tshop_notification_attempts_total{outcome="delivered"} 4`) &&
			strings.Contains(m, `tshop_notification_delay_seconds_count 4`) &&
			strings.Contains(m, `tshop_consumer_backlog{consumer="status-notifier",state="pending"} 0`)
	})
	p.Stop(t)
	if strings.Contains(strings.ToLower(p.Output()), "permission") {
		t.Errorf("the notifier was refused something:\n%s", p.Output())
	}

	// It may not write events.
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("notifier", "notifier-password"),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})) // the refusal below is expected
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := js.Publish(ctx, "tshop.reservation."+fine.String(), []byte(`{}`)); err == nil {
		t.Error("the notifier's user wrote to a reservation's subject")
	}
}
