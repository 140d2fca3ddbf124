package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	nstest "github.com/tshop/tshop/internal/natstest"
)

// benchClient keeps enough idle connections for 64 concurrent clients.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}, Timeout: 30 * time.Second}

// benchHTTP posts reservation bodies from 64 goroutines to url and reports
// requests per second by status.
func benchHTTP(b *testing.B, url string, body func(i int64) []byte) {
	var n, created, conflict, other atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := benchClient.Post(url, "application/json", bytes.NewReader(body(n.Add(1))))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusCreated:
				created.Add(1)
			case http.StatusConflict:
				conflict.Add(1)
			default:
				other.Add(1)
			}
		}
	})
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(created.Load())/secs, "201/s")
	b.ReportMetric(float64(conflict.Load())/secs, "409/s")
	b.ReportMetric(float64(other.Load()), "other")
}

func benchAPI(b *testing.B, products int) (*testAPI, []string) {
	ns := nstest.Start(b)
	a := startAPI(b, ns.URL(), nil)
	ids := make([]string, products)
	for i := range ids {
		ids[i] = fmt.Sprintf("phone-%04d", i)
		res, err := benchClient.Post(a.URL+"/products", "application/json",
			bytes.NewBufferString(fmt.Sprintf(`{"id":%q,"name":"Phone","stock":1000000000}`, ids[i])))
		if err != nil || res.StatusCode != http.StatusCreated {
			b.Fatalf("create product: %v %v", err, res)
		}
		res.Body.Close()
	}
	return a, ids
}

func reservationBody(product string, i int64) []byte {
	return fmt.Appendf(nil, `{"productId":%q,"customerId":"c-%d","location":{"lat":37.56,"lon":126.97}}`, product, i)
}

// BenchmarkHTTPReserveHotProduct: every reservation on one product.
func BenchmarkHTTPReserveHotProduct(b *testing.B) {
	a, ids := benchAPI(b, 1)
	benchHTTP(b, a.URL+"/reservations", func(i int64) []byte { return reservationBody(ids[0], i) })
}

// BenchmarkHTTPReserveManyProducts: reservations spread over 1,000 products.
func BenchmarkHTTPReserveManyProducts(b *testing.B) {
	a, ids := benchAPI(b, 1000)
	benchHTTP(b, a.URL+"/reservations", func(i int64) []byte { return reservationBody(ids[rand.IntN(len(ids))], i) })
}

// BenchmarkHTTPReserveSoldOut: every reservation on a product with no
// stock, each answered 409.
func BenchmarkHTTPReserveSoldOut(b *testing.B) {
	ns := nstest.Start(b)
	a := startAPI(b, ns.URL(), nil)
	res, err := benchClient.Post(a.URL+"/products", "application/json", bytes.NewBufferString(`{"id":"sold-out","name":"Phone","stock":0}`))
	if err != nil || res.StatusCode != http.StatusCreated {
		b.Fatalf("create product: %v %v", err, res)
	}
	res.Body.Close()
	benchHTTP(b, a.URL+"/reservations", func(i int64) []byte { return reservationBody("sold-out", i) })
}

// BenchmarkHTTPCeiling: a chi handler that decodes and encodes the same
// JSON and nothing else, the most any JSON API can do on this machine.
func BenchmarkHTTPCeiling(b *testing.B) {
	r := chi.NewRouter()
	r.Post("/reservations", func(w http.ResponseWriter, r *http.Request) {
		var v createReservationBody
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(v)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: r}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	benchHTTP(b, "http://"+ln.Addr().String()+"/reservations", func(i int64) []byte { return reservationBody("phone-0000", i) })
}

// BenchmarkHTTPGetReservation reads reservations back through the api (one
// direct get for the position, one query to a projector) from 64 clients,
// and reports the latency percentiles.
func BenchmarkHTTPGetReservation(b *testing.B) {
	ns := nstest.Start(b)
	startProjector(b, ns.URL())
	a := startAPI(b, ns.URL(), nil)
	if r := a.do("POST", "/products", map[string]any{"id": "phone-1", "name": "Phone", "stock": 1_000_000}); r.Status != http.StatusCreated {
		b.Fatalf("create product: %d", r.Status)
	}
	ids := make([]string, 1000)
	for i := range ids {
		r := a.do("POST", "/reservations", reservationBodyMap("phone-1", i))
		var v struct{ ID string }
		if err := json.Unmarshal(r.Body, &v); err != nil {
			b.Fatal(err)
		}
		ids[i] = v.ID
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			res, err := benchClient.Get(a.URL + "/reservations/" + ids[rand.IntN(len(ids))])
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("GET: %d", res.StatusCode)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

func reservationBodyMap(product string, i int) map[string]any {
	return map[string]any{"productId": product, "customerId": fmt.Sprintf("c-%d", i%100),
		"location": map[string]float64{"lat": 37.56, "lon": 126.97}}
}
