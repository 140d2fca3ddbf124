package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/shop"

	nstest "github.com/tshop/tshop/internal/natstest"
)

const testSecret = "test-secret-of-at-least-32-bytes-for-hs256"

// token signs claims with the api's secret (or another), HS256 unless the
// method says otherwise.
func token(t *testing.T, method jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(t *testing.T, sub, role, store string) []string {
	t.Helper()
	c := jwt.MapClaims{"sub": sub, "role": role, "exp": time.Now().Add(time.Hour).Unix()}
	if store != "" {
		c["store"] = store
	}
	return []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, []byte(testSecret), c)}
}

// syncBuffer is a log sink tests read while the api writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startAssigner runs an assigner against the server at natsURL until the
// test ends.
func startAssigner(t *testing.T, natsURL string) {
	t.Helper()
	nc, err := nats.Connect(natsURL, nstest.User(nstest.Assigner))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	es, err := eventstore.Open(ctx, nc, &eventstore.Config{WaitForStreams: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { shop.New(es, nil).NewAssigner().Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; nc.Close() })
}

// authSetup is an api with TSHOP_JWT_SECRET set, a projector, an assigner,
// one product and two stores far apart.
func authSetup(t *testing.T) (*testAPI, *syncBuffer) {
	t.Helper()
	ns := natstest(t)
	startProjector(t, ns.URL())
	startAssigner(t, ns.URL())
	logs := &syncBuffer{}
	m, err := NewMain(append([]string{"--nats", ns.URL(), "--http", "127.0.0.1:0"}, nstest.RoleFlags(nstest.API)...), logs)
	if err != nil {
		t.Fatal(err)
	}
	m.cfg.JWTSecret = testSecret
	a := runMain(t, m)
	admin := bearer(t, "ops-1", roleAdmin, "")
	for _, c := range []struct {
		path string
		body string
	}{
		{"/products", `{"id":"galaxy-s26-256","name":"Galaxy S26 256GB","stock":10}`},
		{"/stores", `{"id":"seoul-01","name":"Seoul","lat":37.5665,"lon":126.978,"capacity":10}`},
		{"/stores", `{"id":"busan-01","name":"Busan","lat":35.1796,"lon":129.0756,"capacity":10}`},
	} {
		if res := a.do("POST", c.path, c.body, admin...); res.Status != 201 {
			t.Fatalf("admin POST %s: %d %s", c.path, res.Status, res.Body)
		}
	}
	return a, logs
}

// reserveAs makes an accepted reservation for customer near lat/lon and
// returns its id and the store that took it.
func reserveAs(t *testing.T, a *testAPI, customer string, lat, lon float64) (id, store string) {
	t.Helper()
	body := map[string]any{"productId": "galaxy-s26-256", "customerId": customer, "location": map[string]float64{"lat": lat, "lon": lon}}
	res := a.do("POST", "/reservations", body, bearer(t, customer, roleCustomer, "")...)
	if res.Status != 201 {
		t.Fatalf("reserve as %s: %d %s", customer, res.Status, res.Body)
	}
	var r struct{ ID string }
	res.JSON(t, &r)
	eventually(t, 10*time.Second, func() bool {
		var got struct{ Status, StoreID string }
		g := a.do("GET", "/reservations/"+r.ID, nil, bearer(t, "ops-1", roleAdmin, "")...)
		g.JSON(t, &got)
		store = got.StoreID
		return got.Status == "ACCEPTED"
	})
	return r.ID, store
}

func TestAuthRefusesBadTokens(t *testing.T) {
	a, logs := authSetup(t)
	key := []byte(testSecret)
	good := jwt.MapClaims{"sub": "c-1", "role": roleCustomer, "exp": time.Now().Add(time.Hour).Unix()}
	with := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range good {
			c[k] = v
		}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	none := token(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good)
	valid := token(t, jwt.SigningMethodHS256, key, good)
	parts := strings.Split(valid, ".")
	// A token whose header says "none" but which keeps an HS256 signature.
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
	// A valid signature over other claims: the payload was swapped.
	admin := token(t, jwt.SigningMethodHS256, []byte("another secret"), with(jwt.MapClaims{"role": roleAdmin}))
	swapped := parts[0] + "." + strings.Split(admin, ".")[1] + "." + parts[2]

	cases := []struct {
		name   string
		header []string
	}{
		{"missing", nil},
		{"empty", []string{"Authorization", ""}},
		{"basic scheme", []string{"Authorization", "Basic YWRtaW46YWRtaW4="}},
		{"bearer without token", []string{"Authorization", "Bearer "}},
		{"bearer with two tokens", []string{"Authorization", "Bearer " + valid + " " + valid}},
		{"not a jwt", []string{"Authorization", "Bearer not-a-token"}},
		{"garbage segments", []string{"Authorization", "Bearer a.b.c"}},
		{"wrong secret", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, []byte("another secret"), good)}},
		{"alg none", []string{"Authorization", "Bearer " + none}},
		{"alg none header on a signed token", []string{"Authorization", "Bearer " + noneHeader}},
		{"payload swapped", []string{"Authorization", "Bearer " + swapped}},
		{"HS512", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS512, key, good)}},
		{"expired", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}))}},
		{"not yet valid", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"nbf": time.Now().Add(time.Hour).Unix()}))}},
		{"issued in the future", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"iat": time.Now().Add(time.Hour).Unix()}))}},
		{"exp not a number", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"exp": "tomorrow"}))}},
		{"no sub", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"sub": nil}))}},
		{"sub not an id", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"sub": "c 1/../x"}))}},
		{"no role", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"role": nil}))}},
		{"unknown role", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"role": "root"}))}},
		{"role of another type", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"role": []string{"admin"}}))}},
		{"staff without store", []string{"Authorization", "Bearer " + token(t, jwt.SigningMethodHS256, key, with(jwt.MapClaims{"role": roleStaff}))}},
	}
	before := a.do("GET", "/products/galaxy-s26-256", nil, bearer(t, "ops-1", roleAdmin, "")...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/products", ""},
				{"POST", "/reservations", `{"productId":"galaxy-s26-256","customerId":"c-1","location":{"lat":37.5,"lon":127}}`},
				{"POST", "/products/galaxy-s26-256/restock", `{"quantity":5}`},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				res := a.do(req.method, req.path, body, c.header...)
				wantProblem(t, res, 401, "unauthorized")
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: WWW-Authenticate %q", req.method, req.path, res.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	after := a.do("GET", "/products/galaxy-s26-256", nil, bearer(t, "ops-1", roleAdmin, "")...)
	if !bytes.Equal(before.Body, after.Body) {
		t.Errorf("refused requests changed the product: %s then %s", before.Body, after.Body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if res := a.do("GET", path, nil); res.Status != 200 {
			t.Errorf("GET %s without a token: %d, want 200", path, res.Status)
		}
	}
	if s := logs.String(); strings.Contains(s, testSecret) || strings.Contains(s, parts[2]) {
		t.Errorf("the log holds the secret or a token:\n%s", s)
	}
}

func TestAuthRules(t *testing.T) {
	a, logs := authSetup(t)
	admin := bearer(t, "ops-1", roleAdmin, "")
	alice := bearer(t, "c-alice", roleCustomer, "")
	bob := bearer(t, "c-bob", roleCustomer, "")

	aliceRes, aliceStore := reserveAs(t, a, "c-alice", 37.56, 126.97)
	bobRes, bobStore := reserveAs(t, a, "c-bob", 35.18, 129.07)
	if aliceStore != "seoul-01" || bobStore != "busan-01" {
		t.Fatalf("stores: alice %s, bob %s; want seoul-01, busan-01", aliceStore, bobStore)
	}
	seoulStaff := bearer(t, "s-kim", roleStaff, "seoul-01")
	busanStaff := bearer(t, "s-park", roleStaff, "busan-01")
	reserve := func(customer string) string {
		return `{"productId":"galaxy-s26-256","customerId":"` + customer + `","location":{"lat":37.5,"lon":127}}`
	}

	cases := []struct {
		name   string
		as     []string
		method string
		path   string
		body   string
		status int
		code   string
	}{
		// Customers: their own reservations only; another's is as if absent.
		{"customer reads own", alice, "GET", "/reservations/" + aliceRes, "", 200, ""},
		{"customer reads own history", alice, "GET", "/reservations/" + aliceRes + "/history", "", 200, ""},
		{"customer reads another's", alice, "GET", "/reservations/" + bobRes, "", 404, "not-found"},
		{"customer reads another's history", alice, "GET", "/reservations/" + bobRes + "/history", "", 404, "not-found"},
		{"customer lists own", alice, "GET", "/reservations?customerId=c-alice", "", 200, ""},
		{"customer lists another's", alice, "GET", "/reservations?customerId=c-bob", "", 403, "forbidden"},
		{"customer reserves for another", alice, "POST", "/reservations", reserve("c-bob"), 403, "forbidden"},
		{"customer cancels another's", alice, "PATCH", "/reservations/" + bobRes, `{"status":"CANCELLED"}`, 404, "not-found"},
		{"customer creates a product", alice, "POST", "/products", `{"id":"p-x","name":"X","stock":1}`, 403, "forbidden"},
		{"customer restocks", alice, "POST", "/products/galaxy-s26-256/restock", `{"quantity":5}`, 403, "forbidden"},
		{"customer registers a store", alice, "POST", "/stores", `{"id":"s-x","name":"X","lat":37,"lon":127,"capacity":1}`, 403, "forbidden"},
		{"customer pauses a store", alice, "POST", "/stores/seoul-01/pause", "", 403, "forbidden"},
		{"customer lists a store's reservations", alice, "GET", "/stores/seoul-01/reservations", "", 403, "forbidden"},
		{"customer rejects", alice, "POST", "/reservations/" + aliceRes + "/reject", `{"storeId":"seoul-01","reason":"x"}`, 403, "forbidden"},
		{"customer fulfils", alice, "POST", "/reservations/" + aliceRes + "/fulfill", `{"method":"DELIVERY"}`, 403, "forbidden"},
		{"customer reads products", alice, "GET", "/products", "", 200, ""},
		{"customer reads stores", alice, "GET", "/stores/seoul-01", "", 200, ""},
		// Staff: their store's reservations only.
		{"staff reads own store's", seoulStaff, "GET", "/reservations/" + aliceRes, "", 200, ""},
		{"staff reads another store's", seoulStaff, "GET", "/reservations/" + bobRes, "", 404, "not-found"},
		{"staff lists own store", seoulStaff, "GET", "/stores/seoul-01/reservations", "", 200, ""},
		{"staff lists another store", seoulStaff, "GET", "/stores/busan-01/reservations", "", 403, "forbidden"},
		{"staff lists a customer's", seoulStaff, "GET", "/reservations?customerId=c-alice", "", 403, "forbidden"},
		{"staff fulfils another store's", seoulStaff, "POST", "/reservations/" + bobRes + "/fulfill", `{"method":"DELIVERY"}`, 404, "not-found"},
		{"staff rejects another store's", seoulStaff, "POST", "/reservations/" + bobRes + "/reject", `{"storeId":"seoul-01","reason":"x"}`, 404, "not-found"},
		{"staff rejects in another store's name", seoulStaff, "POST", "/reservations/" + bobRes + "/reject", `{"storeId":"busan-01","reason":"x"}`, 403, "forbidden"},
		{"staff cancels", seoulStaff, "PATCH", "/reservations/" + aliceRes, `{"status":"CANCELLED"}`, 403, "forbidden"},
		{"staff reserves", seoulStaff, "POST", "/reservations", reserve("s-kim"), 403, "forbidden"},
		{"staff creates a product", seoulStaff, "POST", "/products", `{"id":"p-x","name":"X","stock":1}`, 403, "forbidden"},
		{"staff pauses a store", busanStaff, "POST", "/stores/busan-01/pause", "", 403, "forbidden"},
		// Admin: manages products and stores, reads everything, acts for no one.
		{"admin reads any", admin, "GET", "/reservations/" + bobRes, "", 200, ""},
		{"admin reads any history", admin, "GET", "/reservations/" + aliceRes + "/history", "", 200, ""},
		{"admin lists any customer's", admin, "GET", "/reservations?customerId=c-bob", "", 200, ""},
		{"admin lists any store's", admin, "GET", "/stores/busan-01/reservations", "", 200, ""},
		{"admin reserves", admin, "POST", "/reservations", reserve("ops-1"), 403, "forbidden"},
		{"admin cancels", admin, "PATCH", "/reservations/" + aliceRes, `{"status":"CANCELLED"}`, 403, "forbidden"},
		{"admin fulfils", admin, "POST", "/reservations/" + aliceRes + "/fulfill", `{"method":"DELIVERY"}`, 403, "forbidden"},
		{"admin restocks", admin, "POST", "/products/galaxy-s26-256/restock", `{"quantity":5}`, 200, ""},
		{"admin pauses", admin, "POST", "/stores/busan-01/pause", "", 200, ""},
		{"admin resumes", admin, "POST", "/stores/busan-01/resume", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			res := a.do(c.method, c.path, body, c.as...)
			if c.code != "" {
				wantProblem(t, res, c.status, c.code)
			} else if res.Status != c.status {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.Status, res.Body, c.status)
			}
		})
	}

	// The refusals changed nothing: both reservations are still accepted
	// where they were.
	for id, store := range map[string]string{aliceRes: "seoul-01", bobRes: "busan-01"} {
		var got struct{ Status, StoreID string }
		a.do("GET", "/reservations/"+id, nil, admin...).JSON(t, &got)
		if got.Status != "ACCEPTED" || got.StoreID != store {
			t.Errorf("reservation %s is %s at %q after refused requests, want ACCEPTED at %s", id, got.Status, got.StoreID, store)
		}
	}

	// What each role may do, done: staff fulfil and reject at their store,
	// a customer cancels their own.
	if res := a.do("POST", "/reservations/"+bobRes+"/fulfill", `{"method":"STORE_VISIT"}`, busanStaff...); res.Status != 200 {
		t.Errorf("busan staff fulfils bob's: %d %s", res.Status, res.Body)
	}
	if res := a.do("POST", "/reservations/"+aliceRes+"/reject", `{"storeId":"seoul-01","reason":"no staff"}`, seoulStaff...); res.Status != 202 {
		t.Errorf("seoul staff rejects alice's: %d %s", res.Status, res.Body)
	}
	if res := a.do("PATCH", "/reservations/"+aliceRes, `{"status":"예약취소"}`, alice...); res.Status != 202 {
		t.Errorf("alice cancels her own: %d %s", res.Status, res.Body)
	}
	if res := a.do("PATCH", "/reservations/"+bobRes, `{"status":"CANCELLED"}`, bob...); res.Status != 409 {
		t.Errorf("bob cancels his fulfilled one: %d %s, want 409", res.Status, res.Body)
	}
	if s := logs.String(); strings.Contains(s, testSecret) {
		t.Errorf("the log holds the secret:\n%s", s)
	}
}

// wantProblem checks a problem+json answer's status and code.
func wantProblem(t *testing.T, res response, status int, code string) {
	t.Helper()
	var p problem
	if res.Status != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("status %d (%s) %s, want %d problem+json", res.Status, res.Header.Get("Content-Type"), res.Body, status)
		return
	}
	res.JSON(t, &p)
	if p.Code != code || p.Status != status || p.Title == "" {
		t.Errorf("problem %+v, want code %s", p, code)
	}
}
