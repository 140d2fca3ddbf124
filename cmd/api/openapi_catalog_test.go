package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"
)

// drivePage asks for the page and its files, plainly, conditionally and
// in ranges, and listens to the change notices.
func drivePage(r *specRun, a *testAPI) {
	for _, path := range []string{"/", "/assets/app.js", "/assets/app.css"} {
		res := r.send(a, call{method: "GET", target: path, want: 200})
		etag := res.Header.Get("ETag")
		r.send(a, call{method: "GET", target: path, header: []string{"If-None-Match", etag}, want: 304})
		r.send(a, call{method: "GET", target: path, header: []string{"If-Match", `"0000000000000000"`}, want: 412})
		r.send(a, call{method: "GET", target: path, header: []string{"Range", "bytes=0-9"}, want: 206})
		r.send(a, call{method: "GET", target: path, header: []string{"Range", "bytes=99999999-"}, want: 416})
	}
	for _, path := range []string{"/assets/nope.js", "/assets/index.html"} {
		r.send(a, call{method: "GET", target: path, want: 404})
	}
	r.send(a, call{method: "GET", target: "/assets/web/app.js", want: 404})

	// The stream never ends: read its first event and hang up.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", a.URL+"/events", nil)
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		r.t.Fatalf("GET /events: %d", resp.StatusCode)
	}
	var first bytes.Buffer
	br := bufio.NewReader(resp.Body)
	for !bytes.HasSuffix(first.Bytes(), []byte("\n\n")) {
		b, err := br.ReadByte()
		if err != nil {
			r.t.Fatalf("GET /events: %v after %q", err, first.Bytes())
		}
		first.WriteByte(b)
	}
	if !strings.HasPrefix(first.String(), "retry: 3000\nevent: ready\n") {
		r.t.Errorf("GET /events starts with %q", first.Bytes())
	}
	c := call{method: "GET", target: "/events", want: 200}
	r.check(c, exchange{method: c.method, target: c.target, header: req.Header,
		res: response{Status: resp.StatusCode, Header: resp.Header, Body: first.Bytes()}})
}

func driveProducts(r *specRun, a *testAPI) {
	res := r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-main","name":"Galaxy S26 256GB","stock":20}`, want: 201})
	pos := res.Header.Get("Tshop-Position")
	r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-none","name":"Pixel 11 128GB","stock":0}`, want: 201})
	r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-main","name":"Again","stock":1}`, want: 409})
	for _, b := range []string{
		`{"id":"bad id","name":"x","stock":1}`,
		`{"id":"-x","name":"x","stock":1}`,
		`{"id":"` + strings.Repeat("p", 65) + `","name":"x","stock":1}`,
		`{"id":"p-x","name":"","stock":1}`,
		`{"id":"p-x","name":"a\u0001b","stock":1}`,
		`{"id":"p-x","name":"` + strings.Repeat("가", 201) + `","stock":1}`,
		`{"id":"p-x","name":"x","stock":-1}`,
		`{"id":"p-x","name":"x","stock":1000000001}`,
		`{"id":"p-x","name":"x","stock":1.5}`,
		`{"id":"p-x","name":"x","stock":"1"}`,
		`{"id":"p-x","name":"x"}`,
		`{"id":"p-x","stock":1}`,
		`{"id":"p-x","name":"x","stock":1,"extra":true}`,
		`{"id":"p-x","name":"x","stock":null}`,
		`[]`,
		`null`,
		`{"id":"p-x","name":"x","stock":1} {}`,
		`{"id":"p-x",`,
	} {
		r.send(a, call{method: "POST", target: "/products", body: b, want: 400, docRefuses: true})
	}
	// Refused by the api for what no schema can say: a key twice.
	r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-x","id":"p-y","name":"x","stock":1}`, want: 400})
	r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-x","name":"x","stock":1}`, ctype: "text/plain", want: 415})
	r.send(a, call{method: "POST", target: "/products", body: `{"id":"p-x","name":"x","stock":1}`, ctype: "application/json; charset=latin1", want: 415})
	r.send(a, call{method: "POST", target: "/products", body: paddedPast(`{"id":"p-x","name":"x","stock":1}`), want: 413})

	r.send(a, call{method: "GET", target: "/products", want: 200})
	r.send(a, call{method: "GET", target: "/products?position=" + pos, want: 200})
	r.send(a, call{method: "GET", target: "/products?position=", want: 200})
	r.send(a, call{method: "GET", target: "/products?position=TSHOP_PRODUCTS", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/products?position=NOPE:1", want: 400, docRefuses: true})
	// Past the end of the log: only the api can know.
	r.send(a, call{method: "GET", target: "/products?position=TSHOP_PRODUCTS:999999", want: 400})
	r.send(a, call{method: "GET", target: "/products/p-main?position=" + pos, want: 200})
	r.send(a, call{method: "GET", target: "/products/p-none", want: 200})
	r.send(a, call{method: "GET", target: "/products/p-unknown", want: 404})
	r.send(a, call{method: "GET", target: "/products/-bad", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/products/p-main?position=x", want: 400, docRefuses: true})

	r.send(a, call{method: "POST", target: "/products/p-main/restock", body: `{"quantity":5}`, want: 200})
	r.send(a, call{method: "POST", target: "/products/p-unknown/restock", body: `{"quantity":5}`, want: 404})
	r.send(a, call{method: "POST", target: "/products/-bad/restock", body: `{"quantity":5}`, want: 400, docRefuses: true})
	for _, b := range []string{`{"quantity":0}`, `{"quantity":-1}`, `{"quantity":"5"}`, `{"quantity":2.5}`, `{}`, `{"quantity":5,"stock":1}`, `{"Quantity":5,"quantity":5}`} {
		r.send(a, call{method: "POST", target: "/products/p-main/restock", body: b, want: 400, docRefuses: true})
	}
	// Each restock is within bounds; the total would pass them.
	r.send(a, call{method: "POST", target: "/products/p-main/restock", body: `{"quantity":1000000000}`, want: 400})
	r.send(a, call{method: "POST", target: "/products/p-main/restock", body: `{"quantity":5}`, ctype: "text/plain", want: 415})
	r.send(a, call{method: "POST", target: "/products/p-main/restock", body: paddedPast(`{"quantity":5}`), want: 413})
}

func driveStores(r *specRun, a *testAPI) {
	seoul := `{"id":"seoul-01","name":"T world 종로점","lat":37.5665,"lon":126.978,"capacity":10}`
	res := r.send(a, call{method: "POST", target: "/stores", body: seoul, want: 201})
	pos := res.Header.Get("Tshop-Position")
	r.send(a, call{method: "POST", target: "/stores", body: `{"id":"busan-01","name":"T world 서면점","lat":35.1796,"lon":129.0756,"capacity":10}`, want: 201})
	r.send(a, call{method: "POST", target: "/stores", body: seoul, want: 409})
	for _, b := range []string{
		`{"id":"s-x","name":"x","lat":91,"lon":0,"capacity":1}`,
		`{"id":"s-x","name":"x","lat":0,"lon":-181,"capacity":1}`,
		`{"id":"s-x","name":"x","lat":0,"lon":0,"capacity":10001}`,
		`{"id":"s-x","name":"x","lat":0,"lon":0,"capacity":-1}`,
		`{"id":"s-x","name":"x","lat":0,"capacity":1}`,
		`{"id":"s-x","name":"x","lat":"0","lon":0,"capacity":1}`,
		`{"id":"s x","name":"x","lat":0,"lon":0,"capacity":1}`,
		`{"id":"s-x","name":"x","lat":0,"lon":0,"capacity":1,"paused":true}`,
	} {
		r.send(a, call{method: "POST", target: "/stores", body: b, want: 400, docRefuses: true})
	}
	r.send(a, call{method: "POST", target: "/stores", body: seoul, ctype: "application/xml", want: 415})
	r.send(a, call{method: "POST", target: "/stores", body: paddedPast(seoul), want: 413})

	r.send(a, call{method: "GET", target: "/stores", want: 200})
	r.send(a, call{method: "GET", target: "/stores?position=" + pos, want: 200})
	r.send(a, call{method: "GET", target: "/stores?position=TSHOP_STORES:x", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/stores/seoul-01?position=" + pos, want: 200})
	r.send(a, call{method: "GET", target: "/stores/s-unknown", want: 404})
	r.send(a, call{method: "GET", target: "/stores/_x", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/stores/seoul-01/reservations", want: 200})
	r.send(a, call{method: "GET", target: "/stores/s-unknown/reservations", want: 404})
	r.send(a, call{method: "GET", target: "/stores/_x/reservations", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/stores/seoul-01/reservations?position=TSHOP_STORES:999999", want: 400})

	for _, action := range []string{"pause", "resume"} {
		for range 2 {
			res := r.send(a, call{method: "POST", target: "/stores/busan-01/" + action, want: 200})
			var s struct{ Paused bool }
			res.JSON(r.t, &s)
			if s.Paused != (action == "pause") {
				r.t.Errorf("after %s: paused %v", action, s.Paused)
			}
		}
		r.send(a, call{method: "POST", target: "/stores/s-unknown/" + action, want: 404})
		r.send(a, call{method: "POST", target: "/stores/_x/" + action, want: 400, docRefuses: true})
	}
}
