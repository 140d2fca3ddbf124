package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/openapi"
)

// specRun sends requests to running apis and checks every answer against
// the OpenAPI document.
type specRun struct {
	t    *testing.T
	spec *openAPISpec
}

// call is one request of a specRun.
type call struct {
	method, target string
	body           string // sent as is; empty for none
	ctype          string // Content-Type; application/json when a body is sent
	header         []string
	want           int // the status the api must answer
	// docRefuses says the document's parameter and body schemas must
	// refuse the request, as the api does.
	docRefuses bool
}

// send makes the call and checks the answer: its status is c.want, and
// its status, headers and body are what the document says the route
// answers. A request answered 2xx must be one the document accepts.
func (r *specRun) send(a *testAPI, c call) response {
	r.t.Helper()
	res, x := r.exchange(a, c)
	if c.want != 0 && res.Status != c.want {
		r.t.Errorf("%s %s: answered %d, want %d: %s", c.method, c.target, res.Status, c.want, res.Body)
	}
	r.check(c, x)
	return res
}

func (r *specRun) exchange(a *testAPI, c call) (response, exchange) {
	r.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, a.URL+c.target, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		// Errorf, not Fatalf: exchange may run off the test's goroutine.
		r.t.Errorf("%s %s: %v", c.method, c.target, err)
		return response{}, exchange{}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Errorf("%s %s: %v", c.method, c.target, err)
	}
	res := response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	return res, exchange{method: c.method, target: c.target, header: req.Header, body: []byte(c.body), res: res}
}

func (r *specRun) check(c call, x exchange) {
	r.t.Helper()
	for _, e := range r.spec.checkResponse(r.t, x) {
		r.t.Errorf("%s %s → %d: %s\n\tbody: %s", c.method, c.target, x.res.Status, e, x.res.Body)
	}
	if op, _ := r.spec.find(c.method, strings.SplitN(c.target, "?", 2)[0]); op == nil {
		return
	}
	refused := r.spec.checkRequest(r.t, x)
	switch {
	case x.res.Status < 300 && refused != nil:
		r.t.Errorf("%s %s %s: answered %d, but the document refuses the request: %v", c.method, c.target, c.body, x.res.Status, refused)
	case c.docRefuses && refused == nil:
		r.t.Errorf("%s %s %s: answered %d, but the document accepts the request", c.method, c.target, c.body, x.res.Status)
	}
}

// TestOpenAPIResponses drives real apis (embedded NATS, a projector, an
// assigner) through every route with valid and invalid requests and checks
// every answer against the document. Every status the document lists for
// a route must come up at least once, and none it does not list may.
func TestOpenAPIResponses(t *testing.T) {
	spec := loadSpec(t)
	ns := natstest(t)
	startProjector(t, ns.URL())
	startAssigner(t, ns.URL())
	// open runs without tokens, with a tight per-customer limit.
	open := startAPI(t, ns.URL(), nil, "--customer-rate", "0.01", "--customer-burst", "3")
	r := &specRun{t: t, spec: spec}

	served := r.send(open, call{method: "GET", target: "/openapi.yaml", want: 200})
	if !bytes.Equal(served.Body, openapi.YAML) {
		t.Error("GET /openapi.yaml is not the embedded document")
	}
	served = r.send(open, call{method: "GET", target: "/openapi.json", want: 200})
	if want, _ := openapi.JSON(); !bytes.Equal(served.Body, want) {
		t.Error("GET /openapi.json is not the embedded document")
	}
	r.send(open, call{method: "GET", target: "/healthz", want: 200})
	r.send(open, call{method: "GET", target: "/readyz", want: 200})
	r.send(open, call{method: "GET", target: "/no-such-route", want: 404})
	r.send(open, call{method: "GET", target: "/products/p-main/restock", want: 405})
	r.send(open, call{method: "DELETE", target: "/products", want: 405})

	drivePage(r, open)
	driveProducts(r, open)
	driveStores(r, open)
	ids := driveReservations(r, open)
	driveAuth(r, ns.URL(), ids)
	driveOverload(r, ns.URL(), ids)

	// readyz during a NATS outage, then back.
	ns.Stop()
	r.send(open, call{method: "GET", target: "/readyz", want: 503})
	ns.Restart()
	eventually(t, 20*time.Second, func() bool {
		res, x := r.exchange(open, call{method: "GET", target: "/readyz"})
		r.check(call{method: "GET", target: "/readyz"}, x)
		return res.Status == 200
	})

	for _, key := range spec.unseen() {
		t.Errorf("documented but never answered: %s", key)
	}
}

// paddedPast pads a JSON body past the api's bound with whitespace.
func paddedPast(body string) string {
	return body[:len(body)-1] + strings.Repeat(" ", maxBody) + "}"
}

// targetOf fills an operation's path with ids that exist.
func targetOf(o *specOp, ids reservationIDs) string {
	path := o.path
	switch {
	case strings.HasPrefix(path, "/products/"):
		path = strings.ReplaceAll(path, "{id}", "p-main")
	case strings.HasPrefix(path, "/stores/"):
		path = strings.ReplaceAll(path, "{id}", ids.store)
	case strings.HasPrefix(path, "/reservations/"):
		path = strings.ReplaceAll(path, "{id}", ids.fulfilled)
	case strings.HasPrefix(path, "/assets/"):
		path = strings.ReplaceAll(path, "{file}", "app.js")
	}
	if o.method == "GET" && o.path == "/reservations" {
		path += "?customerId=c-1"
	}
	return path
}

// bodyOf is a valid body for an operation that takes one.
func bodyOf(o *specOp, ids reservationIDs) string {
	switch o.method + " " + o.path {
	case "POST /products":
		return `{"id":"p-later","name":"Later","stock":1}`
	case "POST /products/{id}/restock":
		return `{"quantity":1}`
	case "POST /stores":
		return `{"id":"s-later","name":"Later","lat":37,"lon":127,"capacity":1}`
	case "POST /reservations":
		return reserveJSON("p-main", "c-1", 37.56, 126.97)
	case "PATCH /reservations/{id}":
		return `{"status":"CANCELLED"}`
	case "POST /reservations/{id}/reject":
		return `{"storeId":"` + ids.store + `"}`
	case "POST /reservations/{id}/fulfill":
		return `{"method":"DELIVERY"}`
	}
	return ""
}

// public says whether an operation is served without a token.
func public(o *specOp) bool { return o.op["security"] != nil }
