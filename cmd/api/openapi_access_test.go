package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"sync"

	"github.com/tshop/tshop/domain"
	nstest "github.com/tshop/tshop/internal/natstest"
)

// driveAuth checks the answers of an api that checks tokens: 401 without
// one on every route but the public ones, 403 for roles a route does not
// admit, 404 for a reservation the caller may not see.
func driveAuth(r *specRun, natsURL string, ids reservationIDs) {
	t := r.t
	m, err := NewMain(append([]string{"--nats", natsURL, "--http", "127.0.0.1:0"}, nstest.RoleFlags(nstest.API)...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m.cfg.JWTSecret = testSecret
	a := runMain(t, m)
	for _, o := range r.spec.ops {
		want := 401
		if public(o) {
			want = 200
		}
		r.send(a, call{method: o.method, target: targetOf(o, ids), body: bodyOf(o, ids), want: want})
	}
	r.send(a, call{method: "GET", target: "/products", header: []string{"Authorization", "Bearer not-a-token"}, want: 401})

	admin := bearer(t, "ops-1", roleAdmin, "")
	customer := bearer(t, "c-1", roleCustomer, "")
	other := bearer(t, "c-9", roleCustomer, "")
	staff := bearer(t, "staff-1", roleStaff, ids.store)
	elsewhere := bearer(t, "staff-2", roleStaff, "s-elsewhere")
	res := ids.fulfilled
	for _, c := range []struct {
		method, target, body string
		who                  []string
		want                 int
	}{
		{"POST", "/products", `{"id":"p-auth","name":"x","stock":1}`, customer, 403},
		{"POST", "/products/p-main/restock", `{"quantity":1}`, staff, 403},
		{"POST", "/stores", `{"id":"s-auth","name":"x","lat":0,"lon":0,"capacity":1}`, staff, 403},
		{"POST", "/stores/" + ids.store + "/pause", "", customer, 403},
		{"POST", "/stores/" + ids.store + "/resume", "", staff, 403},
		{"GET", "/stores/" + ids.store + "/reservations", "", customer, 403},
		{"GET", "/stores/" + ids.store + "/reservations", "", elsewhere, 403},
		{"GET", "/stores/" + ids.store + "/reservations", "", staff, 200},
		{"POST", "/reservations", reserveJSON("p-main", "c-1", 37.5, 127), admin, 403},
		{"POST", "/reservations", reserveJSON("p-main", "c-1", 37.5, 127), other, 403},
		{"GET", "/reservations?customerId=c-1", "", other, 403},
		{"GET", "/reservations?customerId=c-1", "", staff, 403},
		{"GET", "/reservations?customerId=c-1", "", customer, 200},
		{"GET", "/reservations/" + res, "", customer, 200},
		{"GET", "/reservations/" + res, "", other, 404},
		{"GET", "/reservations/" + res + "/history", "", elsewhere, 404},
		{"PATCH", "/reservations/" + res, `{"status":"CANCELLED"}`, admin, 403},
		{"PATCH", "/reservations/" + res, `{"status":"CANCELLED"}`, other, 404},
		{"POST", "/reservations/" + res + "/reject", `{"storeId":"` + ids.store + `"}`, customer, 403},
		{"POST", "/reservations/" + res + "/reject", `{"storeId":"` + ids.store + `"}`, elsewhere, 403},
		{"POST", "/reservations/" + res + "/fulfill", `{"method":"DELIVERY"}`, admin, 403},
		{"POST", "/reservations/" + res + "/fulfill", `{"method":"DELIVERY"}`, elsewhere, 404},
		{"GET", "/products", "", admin, 200},
		{"GET", "/events", "", customer, 403},
		{"GET", "/events", "", staff, 403},
	} {
		r.send(a, call{method: c.method, target: c.target, body: c.body, header: c.who, want: c.want})
	}
	claims := r.spec.schema(t, "/components/securitySchemes/bearer/x-claims")
	for _, tok := range [][]string{admin, customer, staff} {
		payload := strings.Split(strings.TrimPrefix(tok[1], "Bearer "), ".")[1]
		var v any
		if err := json.NewDecoder(base64.NewDecoder(base64.RawURLEncoding, strings.NewReader(payload))).Decode(&v); err != nil {
			t.Fatal(err)
		}
		if err := claims.Validate(v); err != nil {
			t.Errorf("a token the api takes does not fit x-claims: %v", err)
		}
	}
}

// driveOverload holds an api's one request slot with a reservation held
// in flight and checks every other route then answers 503, except the
// health checks.
func driveOverload(r *specRun, natsURL string, ids reservationIDs) {
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := startAPI(r.t, natsURL, func(m *Main) {
		m.Hooks.AfterHold = func(domain.StockReserved) error {
			once.Do(func() { close(held) })
			<-release
			return nil
		}
	}, "--max-inflight", "1")
	first := make(chan exchange, 1)
	c := call{method: "POST", target: "/reservations", body: reserveJSON("p-main", "c-busy", 37.56, 126.97)}
	go func() {
		_, x := r.exchange(a, c)
		first <- x
	}()
	select {
	case <-held:
	case x := <-first:
		r.t.Fatalf("the reservation was not held: %d %s", x.res.Status, x.res.Body)
	}
	for _, o := range r.spec.ops {
		want := 503
		if isOpsPath(o.path) {
			want = 200
		}
		r.send(a, call{method: o.method, target: targetOf(o, ids), body: bodyOf(o, ids), want: want})
	}
	close(release)
	x := <-first
	if x.res.Status != 201 {
		r.t.Errorf("the reservation in flight: %d %s", x.res.Status, x.res.Body)
	}
	r.check(c, x)
}
