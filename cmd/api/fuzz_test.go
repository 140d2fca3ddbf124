package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tshop/tshop/breaker"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"

	nstest "github.com/tshop/tshop/internal/natstest"
)

// bodyKinds are the request bodies the api decodes, one per route that
// takes one, as its handler declares it.
var bodyKinds = []struct {
	route string
	new   func() any
}{
	{"POST /products", func() any { return new(createProductBody) }},
	{"POST /products/{id}/restock", func() any {
		return new(struct {
			Quantity *int `json:"quantity"`
		})
	}},
	{"POST /stores", func() any { return new(createStoreBody) }},
	{"POST /reservations", func() any { return new(createReservationBody) }},
	{"PATCH /reservations/{id}", func() any {
		return new(struct {
			Status *string `json:"status"`
		})
	}},
	{"POST /reservations/{id}/reject", func() any {
		return new(struct {
			StoreID string `json:"storeId"`
			Reason  string `json:"reason"`
		})
	}},
	{"POST /reservations/{id}/fulfill", func() any {
		return new(struct {
			Method string `json:"method"`
		})
	}},
}

// problemStatus is the status the api answers err with.
func problemStatus(err error) (int, string) {
	a := &api{log: slog.New(slog.DiscardHandler), breaker: breaker.New(nil)}
	w := httptest.NewRecorder()
	a.writeProblem(w, httptest.NewRequest("POST", "/", nil), err)
	var p problem
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	return w.Code, p.Code
}

// FuzzDecode feeds request bodies to decode, for the body of every route.
// It never panics; it either fills the body, which then encodes and
// decodes again to the same value, or fails with an error the api answers
// with a 4xx problem.
func FuzzDecode(f *testing.F) {
	for i, b := range []string{
		newProduct, quantity("50"), newStore, newRes, status(`"CANCELLED"`), status(`"예약취소"`),
		`{"storeId":"gangnam-01","reason":"no staff"}`, method(`"DELIVERY"`), method(`"STORE_VISIT"`),
	} {
		f.Add(uint8(i), "application/json", []byte(b))
	}
	f.Add(uint8(4), "application/merge-patch+json; charset=utf-8", []byte(status(`"CANCELLED"`)))
	for i, c := range badCases() {
		if s, ok := c.body.(string); ok && len(s) < 4096 {
			f.Add(uint8(i), "application/json", []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, contentType string, body []byte) {
		k := bodyKinds[int(kind)%len(bodyKinds)]
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		v := k.new()
		err := decode(r, v)
		if err != nil {
			code, name := problemStatus(err)
			if code < 400 || code >= 500 {
				t.Fatalf("%s: decode(%q) = %v, answered %d %s", k.route, body, err, code, name)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("%s: decoded %q, which is not valid JSON", k.route, body)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: encode %#v: %v", k.route, v, err)
		}
		r = httptest.NewRequest("POST", "/", bytes.NewReader(again))
		r.Header.Set("Content-Type", "application/json")
		back := k.new()
		if err := decode(r, back); err != nil {
			t.Fatalf("%s: decode %s, the encoding of %q: %v", k.route, again, body, err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Fatalf("%s: %q decoded to %+v, its encoding %s to %+v", k.route, body, v, again, back)
		}
	})
}

// FuzzPosition feeds ?position= query strings, as a client may send them,
// to the parser of Tshop-Position values. It never panics; it either
// fails with an invalid-request error or gives positions in known
// streams, which format and parse again to the same positions.
func FuzzPosition(f *testing.F) {
	for _, s := range []string{
		"TSHOP_PRODUCTS:12", "TSHOP_PRODUCTS:3,TSHOP_RESERVATIONS:7", "TSHOP_STORES:0",
		"TSHOP_RESERVATIONS:18446744073709551615", "TSHOP_RESERVATIONS:18446744073709551616",
		"TSHOP_PRODUCTS:1,TSHOP_PRODUCTS:9", "TSHOP_PRODUCTS:-1", "TSHOP_PRODUCTS:+1", "TSHOP_PRODUCTS:0x10",
		"TSHOP_PRODUCTS:1e3", "TSHOP_PRODUCTS:", ":1", "TSHOP_NOPE:1", "tshop_products:1", "TSHOP_PRODUCTS:1,",
		",", "TSHOP_PRODUCTS%3A1", "TSHOP_PRODUCTS:1%00", "TSHOP_PRODUCTS:%ff", "%", "%zz", "a=b&position=x",
		"TSHOP_PRODUCTS:1;TSHOP_STORES:1", "TSHOP_PRODUCTS:1 ", strings.Repeat("TSHOP_PRODUCTS:1,", 20),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/products", RawQuery: "position=" + raw}}
		pos, err := position(r)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("position(%q): %v, not an invalid request", raw, err)
			}
			return
		}
		for stream := range pos {
			if !knownStream(stream) {
				t.Fatalf("position(%q) names stream %q", raw, stream)
			}
		}
		if len(pos) == 0 {
			return
		}
		header := formatPosition(pos)
		r = &http.Request{Method: "GET", URL: &url.URL{Path: "/products", RawQuery: url.Values{"position": {header}}.Encode()}}
		back, err := position(r)
		if err != nil || !maps.Equal(back, pos) {
			t.Fatalf("position(%q) = %v, formatted %q, parsed again %v, %v", raw, pos, header, back, err)
		}
	})
}

// fuzzAPI is the api's handler and background work, served in the test's
// process against a NATS server and projector shared by every input of a
// fuzz target.
type fuzzAPI struct {
	h http.Handler
	// es watches the log, as ops: the api's user may not look at every
	// durable consumer.
	es  *eventstore.Store
	rid string
	// seqs is where each stream ended once the last request's background
	// work was done.
	seqs map[eventstore.Kind]uint64
}

func newFuzzAPI(tb testing.TB) *fuzzAPI {
	tb.Helper()
	ns := nstest.Start(tb)
	// The api as its flags' defaults make it, logged in as the api.
	m, err := NewMain(append([]string{"--nats", ns.URL()}, nstest.RoleFlags(nstest.API)...), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	nc, err := m.cfg.NATS.Connect("tshop-api", log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{Timeout: m.cfg.Timeout / 2, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	startProjector(tb, ns.URL())
	svc := shop.New(es, &shop.Config{Logger: log})
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	a := &api{svc: svc, views: projections.NewClient(nc, m.cfg.Timeout), es: es,
		breaker: breaker.New(nil), log: log, timeout: m.cfg.Timeout, connected: nc.IsConnected,
		limiter: newCustomerLimiter(m.cfg.CustomerRate, m.cfg.CustomerBurst, time.Now), maxInflight: m.cfg.MaxInflight}
	ops, err := eventstore.Open(ctx, ns.Connect(), &eventstore.Config{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	fa := &fuzzAPI{h: a.routes(), es: ops}
	for _, c := range []struct{ path, body string }{
		{"/products", `{"id":"galaxy-s26-256","name":"Galaxy S26 256GB","stock":1000}`},
		{"/stores", `{"id":"gangnam-01","name":"T world Gangnam","lat":37.4979,"lon":127.0276,"capacity":50}`},
		{"/reservations", newRes},
	} {
		w := fa.serve("POST", c.path, "application/json", "", []byte(c.body))
		if w.Code != http.StatusCreated {
			tb.Fatalf("POST %s: %d %s", c.path, w.Code, w.Body)
		}
		if c.path == "/reservations" {
			var r reservationView
			if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
				tb.Fatal(err)
			}
			fa.rid = r.ID.String()
		}
	}
	fa.settle(tb)
	return fa
}

// The durable consumers of the api's background work that may append, and
// their streams. The canceller is not waited for: it leaves a cancellation
// to its request for seconds and appends only for one the request left
// half done, which its request would have answered with a 5xx.
var background = map[string]eventstore.Kind{"reservation-placer": eventstore.Products}

// settle waits until the api's background work has caught up with the log
// and notes where the log ends then: from there on, the log changes only
// when a request changes it.
func (fa *fuzzAPI) settle(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ends := fa.ends(tb)
		caughtUp := true
		for durable, k := range background {
			if ends[k] == 0 {
				continue
			}
			ok, err := fa.es.Processed(context.Background(), k, durable, ends[k])
			if err != nil {
				tb.Fatalf("%s: %v", durable, err)
			}
			caughtUp = caughtUp && ok
		}
		if caughtUp && maps.Equal(ends, fa.ends(tb)) {
			fa.seqs = ends
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("background work not caught up with the log at %v in 10s", ends)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (fa *fuzzAPI) serve(method, target, contentType, key string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	fa.h.ServeHTTP(w, r)
	return w
}

// ends is where each stream of the log ends.
func (fa *fuzzAPI) ends(tb testing.TB) map[eventstore.Kind]uint64 {
	tb.Helper()
	out := map[eventstore.Kind]uint64{}
	for _, k := range eventstore.Kinds() {
		seq, err := fa.es.LastSeq(context.Background(), k)
		if err != nil {
			tb.Fatalf("last sequence of %s: %v", k.Stream(), err)
		}
		out[k] = seq
	}
	return out
}

var fuzzMethods = []string{"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"}

// problemStatuses are the statuses the contract gives a problem, with 405
// for a method a route does not take.
var problemStatuses = []int{400, 401, 403, 404, 405, 409, 413, 415, 429}

// FuzzAPI sends requests to the api's handler: any method, path, query,
// Content-Type, Idempotency-Key and body; "{rid}" in the path stands for
// an existing reservation. No request gets a 5xx; every 4xx is a problem
// with a status the contract names, and changes nothing in the log.
func FuzzAPI(f *testing.F) {
	add := func(m, target, contentType, key string, body string) {
		f.Add(uint8(slices.Index(fuzzMethods, m)), target, contentType, key, []byte(body))
	}
	add("GET", "/products", "", "", "")
	add("GET", "/products/galaxy-s26-256?position=TSHOP_PRODUCTS:1", "", "", "")
	add("GET", "/stores/gangnam-01/reservations", "", "", "")
	add("GET", "/reservations?customerId=c-2&limit=5&position=TSHOP_RESERVATIONS:1", "", "", "")
	add("GET", "/reservations/{rid}/history", "", "", "")
	add("POST", "/products/galaxy-s26-256/restock", "application/json", "", quantity("1"))
	add("POST", "/reservations", "application/json", "k-1", newRes)
	add("POST", "/stores/gangnam-01/pause", "", "", "")
	add("POST", "/reservations/{rid}/fulfill", "application/json", "", method(`"DELIVERY"`))
	add("PATCH", "/reservations/{rid}", "application/merge-patch+json", "", status(`"CANCELLED"`))
	for _, c := range badCases() {
		body, _ := c.body.(string)
		if len(body) > 4096 {
			continue
		}
		contentType := ""
		if c.body != nil {
			contentType = "application/json"
		}
		key := ""
		for i := 0; i+1 < len(c.header); i += 2 {
			switch c.header[i] {
			case "Content-Type":
				contentType = c.header[i+1]
			case "Idempotency-Key":
				key = c.header[i+1]
			}
		}
		add(c.method, c.path, contentType, key, body)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, m uint8, target, contentType, key string, body []byte) {
		target = strings.ReplaceAll(target, "{rid}", fa.rid)
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		// What net/http would refuse before the handler sees it.
		if _, err := url.ParseRequestURI(target); err != nil || strings.ContainsAny(target, " \t\r\n#") {
			return
		}
		if strings.ContainsAny(contentType+key, "\r\n\x00") {
			return
		}
		// The change stream never ends, and this api relays no changes:
		// its own tests cover it.
		if u, _ := url.Parse(target); u.Path == "/events" {
			return
		}
		meth := fuzzMethods[int(m)%len(fuzzMethods)]
		w := fa.serve(meth, target, contentType, key, body)
		before, after := fa.seqs, fa.ends(t)
		if !maps.Equal(before, after) {
			defer fa.settle(t)
		}
		what := meth + " " + target
		if w.Code >= 500 {
			t.Fatalf("%s (%q, %q, %q): %d %s", what, contentType, key, body, w.Code, w.Body)
		}
		mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
		if w.Code < 400 {
			// JSON answers are JSON; the page, its assets and the API
			// document have types of their own.
			if mt == "application/json" && !json.Valid(w.Body.Bytes()) || mt == "" {
				t.Fatalf("%s: %d with %q %q", what, w.Code, mt, w.Body)
			}
			return
		}
		if !slices.Contains(problemStatuses, w.Code) {
			t.Fatalf("%s (%q): status %d: %s", what, body, w.Code, w.Body)
		}
		var p problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); mt != "application/problem+json" || err != nil ||
			p.Status != w.Code || p.Type == "" || p.Title == "" || p.Detail == "" || p.Code == "" {
			t.Fatalf("%s (%q): %d is not a problem: %q %s", what, body, w.Code, mt, w.Body)
		}
		if !maps.Equal(before, after) {
			t.Fatalf("%s (%q, %q, %q) answered %d %s but the log moved from %v to %v", what, contentType, key, body, w.Code, w.Body, before, after)
		}
	})
}

// FuzzAuthenticate feeds Authorization headers to the bearer-token check.
// It never panics; it either refuses with an error the api answers 401,
// or names a caller whose id, role and store are what the rules expect.
func FuzzAuthenticate(f *testing.F) {
	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(24 * time.Hour).Unix()
	secret := []byte(testSecret)
	for _, c := range []jwt.MapClaims{
		{"sub": "c-1001", "role": "customer", "exp": exp},
		{"sub": "admin-1", "role": "admin", "exp": exp, "store": "gangnam-01"},
		{"sub": "s-7", "role": "staff", "store": "gangnam-01", "exp": exp},
		{"sub": "s-7", "role": "staff", "exp": exp},
		{"sub": "c.1", "role": "customer", "exp": exp},
		{"sub": "c-1", "role": "root", "exp": exp},
		{"sub": "c-1", "role": "customer", "exp": 1},
		{"sub": "c-1", "role": "customer", "iat": exp * 2},
		{"sub": 7, "role": []string{"admin"}},
		{},
	} {
		f.Add("Bearer " + sign(jwt.SigningMethodHS256, secret, c))
	}
	customer := jwt.MapClaims{"sub": "c-1001", "role": "customer", "exp": exp}
	f.Add("Bearer " + sign(jwt.SigningMethodHS512, secret, customer))
	f.Add("Bearer " + sign(jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes"), customer))
	f.Add("Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, customer))
	for _, h := range []string{"", "Bearer", "Bearer ", "bearer x.y.z", "Basic YWRtaW46YWRtaW4=", "Bearer a.b", "Bearer ...",
		"Bearer e30.e30.", "Bearer eyJhbGciOiJIUzI1NiJ9.bnVsbA.x", "Bearer \x00", "Bearer a b", "Bearer  x.y.z"} {
		f.Add(h)
	}
	au := newAuthenticator(testSecret)
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/products", nil)
		r.Header.Set("Authorization", header)
		p, err := au.authenticate(r)
		if err != nil {
			if code, name := problemStatus(err); !errors.Is(err, errUnauthorized) || code != http.StatusUnauthorized {
				t.Fatalf("authenticate(%q) = %v, answered %d %s", header, err, code, name)
			}
			return
		}
		if domain.ValidateID("sub", p.Sub) != nil {
			t.Fatalf("authenticate(%q) let sub %q through", header, p.Sub)
		}
		switch {
		case p.Role == roleStaff && domain.ValidateID("store", p.Store) == nil:
		case (p.Role == roleCustomer || p.Role == roleAdmin) && p.Store == "":
		default:
			t.Fatalf("authenticate(%q) = %+v", header, p)
		}
	})
}
