package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	nstest "github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
)

// customerCenter is the whole system as a customer-center agent meets it:
// NATS, a projector, an assigner and an api with TSHOP_JWT_SECRET set,
// started with extra api flags, holding a product and stores across
// Korea.
//
// The api starts first and the others once its consumers exist: a stream
// update (which every api and startProjector send at start) racing with
// the creation of a consumer on that stream is a data race inside
// nats-server 2.15.2 that the race detector reports.
func customerCenter(t *testing.T, flags ...string) *testAPI {
	t.Helper()
	ns := natstest(t)
	args := append([]string{"--nats", ns.URL(), "--http", "127.0.0.1:0"}, nstest.RoleFlags(nstest.API)...)
	m, err := NewMain(append(args, flags...), &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	m.cfg.JWTSecret = testSecret
	a := runMain(t, m)
	ops := ns.Connect()
	for _, c := range []string{"TSHOP_PRODUCTS.reservation-placer", "TSHOP_RESERVATIONS.reservation-canceller"} {
		eventually(t, 10*time.Second, func() bool {
			msg, err := ops.Request("$JS.API.CONSUMER.INFO."+c, nil, time.Second)
			return err == nil && !strings.Contains(string(msg.Data), `"error"`)
		})
	}
	startProjector(t, ns.URL())
	startAssigner(t, ns.URL())
	admin := bearer(t, "ops-1", roleAdmin, "")
	for _, c := range []struct{ path, body string }{
		{"/products", `{"id":"galaxy-s26-256","name":"Galaxy S26 256GB","stock":40}`},
		{"/products", `{"id":"iphone-17-128","name":"iPhone 17 128GB","stock":25}`},
		{"/products", `{"id":"pixel-11-128","name":"Pixel 11 128GB","stock":8}`},
		{"/stores", `{"id":"gangnam-01","name":"T world Gangnam","lat":37.4979,"lon":127.0276,"capacity":6}`},
		{"/stores", `{"id":"jongno-01","name":"T world Jongno","lat":37.5704,"lon":126.9920,"capacity":4}`},
		{"/stores", `{"id":"mapo-01","name":"T world Mapo","lat":37.5663,"lon":126.9019,"capacity":5}`},
		{"/stores", `{"id":"suwon-01","name":"T world Suwon","lat":37.2636,"lon":127.0286,"capacity":5}`},
		{"/stores", `{"id":"daejeon-01","name":"T world Daejeon","lat":36.3504,"lon":127.3845,"capacity":4}`},
		{"/stores", `{"id":"daegu-01","name":"T world Daegu","lat":35.8714,"lon":128.6014,"capacity":4}`},
		{"/stores", `{"id":"gwangju-01","name":"T world Gwangju","lat":35.1595,"lon":126.8526,"capacity":3}`},
		{"/stores", `{"id":"busan-01","name":"T world Busan","lat":35.1796,"lon":129.0756,"capacity":6}`},
		{"/stores", `{"id":"jeju-01","name":"T world Jeju","lat":33.4996,"lon":126.5312,"capacity":2}`},
	} {
		if res := a.do("POST", c.path, c.body, admin...); res.Status != 201 {
			t.Fatalf("admin POST %s: %d %s", c.path, res.Status, res.Body)
		}
	}
	return a
}

// The page and its files are served to anyone, with a policy that lets
// them load nothing from elsewhere; the data behind them is not.
func TestPageServed(t *testing.T) {
	a := customerCenter(t)
	res := a.do("GET", "/", nil)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}
	if !strings.Contains(string(res.Body), `src="/assets/app.js"`) {
		t.Errorf("GET /: the page does not load its script:\n%s", res.Body)
	}
	for path, ctype := range map[string]string{"/assets/app.js": "text/javascript", "/assets/app.css": "text/css"} {
		res := a.do("GET", path, nil)
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d %s", path, res.Status, res.Header.Get("Content-Type"))
		}
		if again := a.do("GET", path, nil, "If-None-Match", res.Header.Get("ETag")); again.Status != 304 {
			t.Errorf("GET %s again with its ETag: %d, want 304", path, again.Status)
		}
	}
	for _, path := range []string{"/assets/nope.js", "/assets/index.html", "/assets/", "/assets/web/app.js"} {
		wantProblem(t, a.do("GET", path, nil), 404, "not-found")
	}
	wantProblem(t, a.do("GET", "/products", nil), 401, "unauthorized")
}

// Only an admin hears the read model's changes; a customer or a staff
// member would hear of every customer's reservations.
func TestEventsNeedAnAdmin(t *testing.T) {
	a := customerCenter(t)
	for _, c := range []struct {
		name   string
		header []string
		status int
	}{
		{"no token", nil, 401},
		{"customer", bearer(t, "c-1001", roleCustomer, ""), 403},
		{"staff", bearer(t, "s-1", roleStaff, "gangnam-01"), 403},
		{"admin", bearer(t, "ops-1", roleAdmin, ""), 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := openStream(t, a.URL+"/events", c.header...)
			if s.res.StatusCode != c.status {
				t.Fatalf("GET /events: %d, want %d", s.res.StatusCode, c.status)
			}
			if c.status == 200 {
				if ct := s.res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
					t.Errorf("Content-Type %q", ct)
				}
				if ev := s.next(t, 5*time.Second); ev.name != "ready" {
					t.Errorf("first event %+v, want ready", ev)
				}
			}
		})
	}
}

// A reservation made and cancelled through the api reaches a listening
// page as change notices, from the projector through NATS and the api,
// and a read at the position a notice names shows at least that state.
// The stream outlives the server's read timeout, and ends with the api.
func TestEventsFollowReservations(t *testing.T) {
	a := customerCenter(t, "--header-timeout", "500ms", "--read-timeout", "1s")
	admin := bearer(t, "ops-1", roleAdmin, "")
	page := openStream(t, a.URL+"/events", admin...)
	if ev := page.next(t, 5*time.Second); ev.name != "ready" {
		t.Fatalf("first event %+v", ev)
	}
	time.Sleep(1500 * time.Millisecond) // past the read timeout

	customer := bearer(t, "c-1001", roleCustomer, "")
	res := a.do("POST", "/reservations", `{"productId":"galaxy-s26-256","customerId":"c-1001","location":{"lat":37.56,"lon":126.97}}`, customer...)
	if res.Status != 201 {
		t.Fatalf("reserve: %d %s", res.Status, res.Body)
	}
	var r reservationView
	res.JSON(t, &r)
	id := r.ID.String()

	// waitFor reads notices until one names the reservation and the read
	// at its position shows status.
	waitFor := func(status string) {
		t.Helper()
		for {
			ev := page.next(t, 15*time.Second)
			if ev.name != "change" {
				continue
			}
			var c projections.Change
			if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
				t.Fatalf("notice %s: %v", ev.data, err)
			}
			if c.Stream != "TSHOP_RESERVATIONS" || !contains(c.Reservations, id) {
				continue
			}
			got := a.do("GET", "/reservations/"+id+"?position=TSHOP_RESERVATIONS:"+itoa(c.Seq), nil, admin...)
			var v reservationView
			got.JSON(t, &v)
			if string(v.Status) == status {
				return
			}
		}
	}
	waitFor("ACCEPTED")
	if res := a.do("PATCH", "/reservations/"+id, `{"status":"예약취소"}`, customer...); res.Status != 202 {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	waitFor("CANCELLED")

	// Stopping the api ends the stream at once, rather than waiting out
	// the shutdown's deadline (which Stop would report as an error).
	a.Stop()
	page.ended(t, 5*time.Second)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
