package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
)

// op is one kind of request in the mix, with its weight.
type op struct {
	weight int
	run    func(wk *worker, ctx context.Context)
}

// mix is what the workers send, and how often.
var mix = []op{
	{30, (*worker).reserve},
	{14, (*worker).reserveKeyed},
	{3, (*worker).replayKey},
	{14, (*worker).cancel},
	{6, (*worker).reject},
	{8, (*worker).fulfil},
	{3, (*worker).restock},
	{1, (*worker).newStore},
	{4, (*worker).pauseOrResume},
	{3, (*worker).listCustomer},
}

// worker sends requests one after another, with its own random source so
// that a seed gives the same choices.
type worker struct {
	w   *workload
	id  int
	n   int
	rng *rand.Rand
}

// run sends the mix from every worker until ctx ends.
func (w *workload) run(ctx context.Context, seed uint64) {
	total := 0
	for _, o := range mix {
		total += o.weight
	}
	var wg sync.WaitGroup
	for i := range w.workers {
		wk := &worker{w: w, id: i, rng: rand.New(rand.NewPCG(seed, uint64(i)+1))}
		wg.Go(func() {
			for ctx.Err() == nil {
				pick := wk.rng.IntN(total)
				for _, o := range mix {
					if pick < o.weight {
						o.run(wk, ctx)
						break
					}
					pick -= o.weight
				}
				wk.n++
				sleep(ctx, time.Duration(wk.rng.Int64N(int64(w.think)+1)))
			}
		})
	}
	wg.Wait()
}

func (wk *worker) api() *proc { return wk.w.c.apis[wk.rng.IntN(len(wk.w.c.apis))] }

func (wk *worker) body() reserveBody {
	return reserveBody{
		ProductID:  wk.w.products[wk.rng.IntN(len(wk.w.products))],
		CustomerID: fmt.Sprintf("c-%d", wk.rng.IntN(wk.w.customers)),
		Location:   seoul(wk.rng),
	}
}

// reserve sends one reservation without a key; sometimes it reads the
// reservation right after its 201, from either api.
func (wk *worker) reserve(ctx context.Context) {
	wk.send(ctx, "reserve", wk.api(), wk.body(), "", wk.rng.IntN(3) == 0, wk.api())
}

// send POSTs one reservation and records a 201 in the ledger.
func (wk *worker) send(ctx context.Context, op string, api *proc, body reserveBody, key string, readBack bool, reader *proc) response {
	var header map[string]string
	if key != "" {
		header = map[string]string{"Idempotency-Key": key}
	}
	start := time.Now()
	r := wk.w.c.do(ctx, api, http.MethodPost, "/reservations", body, header)
	end := time.Now()
	if !wk.w.c.expect(ctx, op, api, "POST /reservations", r, "201", "409 out-of-stock") || r.status != http.StatusCreated {
		return r
	}
	var v reservationView
	if err := json.Unmarshal(r.body, &v); err != nil || v.ID == uuid.Nil {
		wk.w.c.l.violation("http", "%s on %s: 201 without a reservation id: %s", op, api, truncate(r.body, 300))
		return r
	}
	if v.ProductID != body.ProductID || v.CustomerID != body.CustomerID {
		wk.w.c.l.violation("http", "%s on %s: 201 for %s/%s answered reservation %s of %s/%s", op, api, body.ProductID, body.CustomerID, v.ID, v.ProductID, v.CustomerID)
	}
	wk.w.c.l.reserved(v.ID, body, key, r.header.Get("Idempotent-Replayed") == "true", start, end)
	if readBack {
		g := wk.w.c.do(ctx, reader, http.MethodGet, "/reservations/"+v.ID.String(), nil, nil)
		if g.status == http.StatusNotFound {
			wk.w.c.l.violation("read-your-writes", "GET /reservations/%s on %s right after its 201 from %s: 404", v.ID, reader, api)
		}
		wk.w.c.expect(ctx, "read after 201", reader, "GET /reservations/"+v.ID.String(), g, "200")
	}
	return r
}

// reserveKeyed sends a reservation with a new Idempotency-Key, sometimes as
// two or three copies at once, each sent again while it gets no definite
// answer.
func (wk *worker) reserveKeyed(ctx context.Context) {
	key := fmt.Sprintf("chaos-%d-%d", wk.id, wk.n)
	body := wk.body()
	wk.w.c.l.rememberKey(key, body)
	copies := 1
	if wk.rng.IntN(3) == 0 {
		copies = 2 + wk.rng.IntN(2)
	}
	var wg sync.WaitGroup
	for range copies {
		rng := rand.New(rand.NewPCG(wk.rng.Uint64(), wk.rng.Uint64()))
		wg.Go(func() {
			op := "reserve keyed"
			if copies > 1 {
				op = "reserve keyed, concurrent"
			}
			sub := &worker{w: wk.w, id: wk.id, n: wk.n, rng: rng}
			for attempt := 0; attempt < 6 && ctx.Err() == nil; attempt++ {
				r := sub.send(ctx, op, sub.api(), body, key, false, nil)
				if !r.transient() {
					return
				}
				op = "reserve keyed, retry"
				sleep(ctx, time.Duration(100+rng.IntN(400))*time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// replayKey sends an earlier keyed reservation again, as a client that
// never saw its answer would, any time later.
func (wk *worker) replayKey(ctx context.Context) {
	k, ok := wk.w.c.l.someKey(wk.rng)
	if !ok {
		return
	}
	wk.send(ctx, "reserve keyed, later", wk.api(), k.body, k.key, false, nil)
}

// cancel cancels an acknowledged reservation with either spelling of the
// status, sometimes twice at once.
func (wk *worker) cancel(ctx context.Context) {
	id, ok := wk.w.c.l.someReservation(wk.rng)
	if !ok {
		return
	}
	status := "CANCELLED"
	if wk.rng.IntN(2) == 0 {
		status = "예약취소"
	}
	copies := 1
	if wk.rng.IntN(5) == 0 {
		copies = 2
	}
	op := "cancel " + status
	if copies > 1 {
		op += ", concurrent"
	}
	var wg sync.WaitGroup
	for range copies {
		api := wk.api()
		wg.Go(func() {
			r := wk.w.c.do(ctx, api, http.MethodPatch, "/reservations/"+id.String(), map[string]string{"status": status}, nil)
			wk.w.c.expect(ctx, op, api, "PATCH /reservations/"+id.String(), r, "202", "409 invalid-transition")
		})
	}
	wg.Wait()
}

// current reads an acknowledged reservation through an api, or false.
func (wk *worker) current(ctx context.Context, id uuid.UUID) (reservationView, bool) {
	api := wk.api()
	r := wk.w.c.do(ctx, api, http.MethodGet, "/reservations/"+id.String(), nil, nil)
	if !wk.w.c.expect(ctx, "read", api, "GET /reservations/"+id.String(), r, "200") {
		return reservationView{}, false
	}
	var v reservationView
	if err := json.Unmarshal(r.body, &v); err != nil {
		wk.w.c.l.violation("http", "GET /reservations/%s on %s: %v", id, api, err)
		return v, false
	}
	return v, true
}

// reject has the store holding an accepted reservation turn it down.
func (wk *worker) reject(ctx context.Context) {
	id, ok := wk.w.c.l.someReservation(wk.rng)
	if !ok {
		return
	}
	v, ok := wk.current(ctx, id)
	if !ok || v.Status != "ACCEPTED" || v.StoreID == nil {
		return
	}
	api := wk.api()
	r := wk.w.c.do(ctx, api, http.MethodPost, "/reservations/"+id.String()+"/reject", map[string]string{"storeId": *v.StoreID, "reason": "no staff today"}, nil)
	wk.w.c.expect(ctx, "reject", api, "POST /reservations/"+id.String()+"/reject", r, "202", "409 invalid-transition")
}

// fulfil hands over the phone of an accepted reservation.
func (wk *worker) fulfil(ctx context.Context) {
	id, ok := wk.w.c.l.someReservation(wk.rng)
	if !ok {
		return
	}
	v, ok := wk.current(ctx, id)
	if !ok || v.Status != "ACCEPTED" {
		return
	}
	method := "DELIVERY"
	if wk.rng.IntN(2) == 0 {
		method = "STORE_VISIT"
	}
	api := wk.api()
	r := wk.w.c.do(ctx, api, http.MethodPost, "/reservations/"+id.String()+"/fulfill", map[string]string{"method": method}, nil)
	wk.w.c.expect(ctx, "fulfil", api, "POST /reservations/"+id.String()+"/fulfill", r, "200", "409 invalid-transition")
}

func (wk *worker) restock(ctx context.Context) {
	p := wk.w.products[wk.rng.IntN(len(wk.w.products))]
	api := wk.api()
	r := wk.w.c.do(ctx, api, http.MethodPost, "/products/"+p+"/restock", map[string]int{"quantity": 2 + wk.rng.IntN(7)}, nil)
	wk.w.c.expect(ctx, "restock", api, "POST /products/"+p+"/restock", r, "200")
}

// newStore adds a store, sending it until it exists.
func (wk *worker) newStore(ctx context.Context) {
	id := fmt.Sprintf("chaos-store-w%d-%d", wk.id, wk.n)
	_ = wk.w.addStore(ctx, wk.rng, id, 3+wk.rng.IntN(8))
}

func (wk *worker) pauseOrResume(ctx context.Context) {
	st := wk.w.c.l.someStore(wk.rng)
	what := "pause"
	if wk.rng.IntN(2) == 0 {
		what = "resume"
	}
	api := wk.api()
	r := wk.w.c.do(ctx, api, http.MethodPost, "/stores/"+st+"/"+what, nil, nil)
	wk.w.c.expect(ctx, what+" store", api, "POST /stores/"+st+"/"+what, r, "200")
}

func (wk *worker) listCustomer(ctx context.Context) {
	api := wk.api()
	path := fmt.Sprintf("/reservations?customerId=c-%d", wk.rng.IntN(wk.w.customers))
	r := wk.w.c.do(ctx, api, http.MethodGet, path, nil, nil)
	wk.w.c.expect(ctx, "list customer", api, "GET "+path, r, "200")
}
