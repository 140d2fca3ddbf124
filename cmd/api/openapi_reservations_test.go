package main

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

// reservationIDs are the reservations driveReservations leaves: one
// fulfilled, one cancelled after a reject, both of customers c-1 and c-3.
type reservationIDs struct {
	fulfilled, cancelled, store string
}

func reserveJSON(product, customer string, lat, lon float64) string {
	raw, _ := json.Marshal(map[string]any{"productId": product, "customerId": customer, "location": map[string]float64{"lat": lat, "lon": lon}})
	return string(raw)
}

// awaitStatus polls a reservation until it has status, checking each answer.
func (r *specRun) awaitStatus(a *testAPI, id string, status domain.Status, header ...string) (store string) {
	r.t.Helper()
	eventually(r.t, 15*time.Second, func() bool {
		res := r.send(a, call{method: "GET", target: "/reservations/" + id, header: header, want: 200})
		var v struct{ Status, StoreID string }
		res.JSON(r.t, &v)
		store = v.StoreID
		return v.Status == string(status)
	})
	return store
}

func driveReservations(r *specRun, a *testAPI) reservationIDs {
	t := r.t
	body := reserveJSON("p-main", "c-1", 37.56, 126.97)
	res := r.send(a, call{method: "POST", target: "/reservations", body: body, header: []string{"Idempotency-Key", "order-1001"}, want: 201})
	var placed struct{ ID, Status string }
	res.JSON(t, &placed)
	if placed.Status != "PLACED" || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first reservation: %s, replayed %q", res.Body, res.Header.Get("Idempotent-Replayed"))
	}
	r.send(a, call{method: "GET", target: "/reservations/" + placed.ID, want: 200})
	r.send(a, call{method: "GET", target: "/reservations/" + placed.ID + "?position=" + res.Header.Get("Tshop-Position"), want: 200})
	replay := r.send(a, call{method: "POST", target: "/reservations", body: body, header: []string{"Idempotency-Key", "order-1001"}, want: 201})
	if replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: Idempotent-Replayed %q", replay.Header.Get("Idempotent-Replayed"))
	}
	r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-main", "c-1", 35.0, 129.0), header: []string{"Idempotency-Key", "order-1001"}, want: 409})
	r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-none", "c-2", 37.56, 126.97), want: 409})
	r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-unknown", "c-2", 37.56, 126.97), want: 404})
	for _, b := range []string{
		`{"productId":"p-main","customerId":"c-2"}`,
		`{"productId":"p-main","customerId":"c-2","location":{"lat":100,"lon":0}}`,
		`{"productId":"p-main","customerId":"c-2","location":{"lat":1}}`,
		`{"productId":"p-main","customerId":"c-2","location":{"lat":1,"lon":2,"alt":3}}`,
		`{"productId":"p-main","customerId":"c-2","location":null}`,
		`{"productId":"","customerId":"c-2","location":{"lat":1,"lon":2}}`,
		`{"productId":"p-main","customerId":"c 2","location":{"lat":1,"lon":2}}`,
		`{"productId":"p-main","customerId":"c-2","location":{"lat":1,"lon":2},"storeId":"seoul-01"}`,
	} {
		r.send(a, call{method: "POST", target: "/reservations", body: b, want: 400, docRefuses: true})
	}
	// The key is checked after the rate limit: one customer each.
	for i, key := range []string{"has space", strings.Repeat("k", 256), "키"} {
		customer := "c-key-" + string(rune('a'+i))
		r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-main", customer, 37.56, 126.97), header: []string{"Idempotency-Key", key}, want: 400, docRefuses: true})
	}
	r.send(a, call{method: "POST", target: "/reservations", body: body, ctype: "text/plain", want: 415})
	r.send(a, call{method: "POST", target: "/reservations", body: paddedPast(body), want: 413})
	// Three attempts at once, then the customer must wait.
	for range 3 {
		r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-none", "c-eager", 37.56, 126.97), want: 409})
	}
	r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-none", "c-eager", 37.56, 126.97), want: 429})

	r.send(a, call{method: "GET", target: "/reservations/" + uuid.NewString(), want: 404})
	r.send(a, call{method: "GET", target: "/reservations/not-a-uuid", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/reservations/{" + placed.ID + "}", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/reservations/" + placed.ID + "?position=TSHOP_RESERVATIONS:-1", want: 400, docRefuses: true})
	store := r.awaitStatus(a, placed.ID, domain.StatusAccepted)

	r.send(a, call{method: "GET", target: "/reservations?customerId=c-1", want: 200})
	r.send(a, call{method: "GET", target: "/reservations?customerId=c-1&limit=1&position=" + res.Header.Get("Tshop-Position"), want: 200})
	r.send(a, call{method: "GET", target: "/reservations?customerId=c-nobody", want: 200})
	for _, q := range []string{"", "?limit=5", "?customerId=", "?customerId=c%201", "?customerId=c-1&limit=0", "?customerId=c-1&limit=501", "?customerId=c-1&limit=x", "?customerId=c-1&position=x"} {
		r.send(a, call{method: "GET", target: "/reservations" + q, want: 400, docRefuses: true})
	}
	r.send(a, call{method: "GET", target: "/stores/" + store + "/reservations", want: 200})

	// Fulfil the first; then nothing more may change it.
	id := placed.ID
	r.send(a, call{method: "POST", target: "/reservations/" + id + "/fulfill", body: `{"method":"STORE_VISIT"}`, want: 200})
	r.send(a, call{method: "POST", target: "/reservations/" + id + "/fulfill", body: `{"method":"DELIVERY"}`, want: 409})
	r.send(a, call{method: "PATCH", target: "/reservations/" + id, body: `{"status":"CANCELLED"}`, want: 409})
	r.send(a, call{method: "POST", target: "/reservations/" + id + "/reject", body: `{"storeId":"` + store + `"}`, want: 409})
	r.send(a, call{method: "GET", target: "/reservations/" + id + "/history", want: 200})

	// The second: accepted near Busan, rejected there, accepted in Seoul,
	// then cancelled (예약취소) until 예약취소완료.
	res = r.send(a, call{method: "POST", target: "/reservations", body: reserveJSON("p-main", "c-3", 35.18, 129.07), want: 201})
	var second struct{ ID string }
	res.JSON(t, &second)
	busan := r.awaitStatus(a, second.ID, domain.StatusAccepted)
	r.send(a, call{method: "POST", target: "/reservations/" + second.ID + "/reject", body: `{"storeId":"` + busan + `","reason":"직원 부족"}`, want: 202})
	r.awaitStatus(a, second.ID, domain.StatusAccepted)
	r.send(a, call{method: "PATCH", target: "/reservations/" + second.ID, body: `{"status":"예약취소"}`, ctype: "application/merge-patch+json", want: 202})
	r.awaitStatus(a, second.ID, domain.StatusCancelled)
	r.send(a, call{method: "PATCH", target: "/reservations/" + second.ID, body: `{"status":"CANCELLED"}`, want: 409})
	res = r.send(a, call{method: "GET", target: "/reservations/" + second.ID + "/history", want: 200})
	var history []struct{ Type string }
	res.JSON(t, &history)
	seen := map[string]bool{}
	for _, h := range history {
		seen[h.Type] = true
	}
	for _, typ := range []string{"ReservationPlaced", "ReservationAccepted", "ReservationRejected", "CancelRequested", "StockRestored", "StoreReleased"} {
		if !seen[typ] {
			t.Errorf("history of the cancelled reservation lacks %s: %s", typ, res.Body)
		}
	}

	unknown := uuid.NewString()
	for _, c := range []struct{ method, suffix, body string }{
		{"PATCH", "", `{"status":"CANCELLED"}`},
		{"POST", "/reject", `{"storeId":"seoul-01"}`},
		{"POST", "/fulfill", `{"method":"DELIVERY"}`},
	} {
		r.send(a, call{method: c.method, target: "/reservations/" + unknown + c.suffix, body: c.body, want: 404})
		r.send(a, call{method: c.method, target: "/reservations/x" + c.suffix, body: c.body, want: 400, docRefuses: true})
		r.send(a, call{method: c.method, target: "/reservations/" + id + c.suffix, body: c.body, ctype: "text/plain", want: 415})
		r.send(a, call{method: c.method, target: "/reservations/" + id + c.suffix, body: paddedPast(c.body), want: 413})
	}
	r.send(a, call{method: "GET", target: "/reservations/" + unknown + "/history", want: 404})
	r.send(a, call{method: "GET", target: "/reservations/x/history", want: 400, docRefuses: true})
	r.send(a, call{method: "GET", target: "/reservations/" + id + "/history?position=,", want: 400, docRefuses: true})
	for _, b := range []string{`{"status":"ACCEPTED"}`, `{"status":"cancelled"}`, `{"status":null}`, `{}`, `{"status":"CANCELLED","reason":"x"}`} {
		r.send(a, call{method: "PATCH", target: "/reservations/" + id, body: b, want: 400, docRefuses: true})
	}
	for _, b := range []string{`{"storeId":""}`, `{"reason":"x"}`, `{"storeId":"s x"}`, `{"storeId":"seoul-01","reason":"` + strings.Repeat("r", 501) + `"}`, `{"storeId":"seoul-01","reason":"a\nb"}`, `{"storeId":"seoul-01","reason":7}`} {
		r.send(a, call{method: "POST", target: "/reservations/" + id + "/reject", body: b, want: 400, docRefuses: true})
	}
	// 500 bytes is the bound: 200 Hangul syllables are 600.
	r.send(a, call{method: "POST", target: "/reservations/" + id + "/reject", body: `{"storeId":"seoul-01","reason":"` + strings.Repeat("가", 200) + `"}`, want: 400})
	for _, b := range []string{`{"method":"DRONE"}`, `{}`, `{"method":"DELIVERY","storeId":"seoul-01"}`} {
		r.send(a, call{method: "POST", target: "/reservations/" + id + "/fulfill", body: b, want: 400, docRefuses: true})
	}
	r.send(a, call{method: "PUT", target: "/reservations/" + id, body: `{"status":"CANCELLED"}`, want: 405})
	return reservationIDs{fulfilled: id, cancelled: second.ID, store: store}
}
