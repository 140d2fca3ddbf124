package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// compareAPI asks an api about products, stores, reservations and
// customers as of the log's end and reports every answer that differs
// from the log. Reservations are sampled (up to sample of them).
func compareAPI(ctx context.Context, c *client, api *proc, v *logView, rng *rand.Rand, sample int) []violation {
	var out []violation
	add := func(format string, args ...any) {
		out = append(out, violation{kind: "api", detail: api.Name() + ": " + fmt.Sprintf(format, args...)})
	}
	parts := make([]string, 0, 3)
	for _, k := range eventstore.Kinds() {
		parts = append(parts, fmt.Sprintf("%s:%d", k.Stream(), v.ends[k]))
	}
	pos := "position=" + strings.Join(parts, ",")
	get := func(path string, into any) bool {
		for attempt := 0; ; attempt++ {
			r := c.do(ctx, api, http.MethodGet, path, nil, nil)
			if r.status == http.StatusOK {
				if err := json.Unmarshal(r.body, into); err != nil {
					add("GET %s: %v", path, err)
					return false
				}
				return true
			}
			if !r.transient() || attempt >= 30 || ctx.Err() != nil {
				add("GET %s: %s %s", path, r.outcome(), truncate(r.body, 200))
				return false
			}
			sleep(ctx, time.Second)
		}
	}
	for _, id := range sortedKeys(v.products) {
		p := v.products[id].p
		var got struct {
			Stock    int `json:"stock"`
			Reserved int `json:"reserved"`
		}
		if get("/products/"+id+"?"+pos, &got) && (got.Stock != p.Stock || got.Reserved != p.Reserved) {
			add("product %s: stock %d, reserved %d; the log says %d, %d", id, got.Stock, got.Reserved, p.Stock, p.Reserved)
		}
	}
	for _, id := range sortedKeys(v.stores) {
		st := v.stores[id]
		var got struct {
			Capacity int  `json:"capacity"`
			Load     int  `json:"load"`
			Paused   bool `json:"paused"`
		}
		if get("/stores/"+id+"?"+pos, &got) && (got.Capacity != st.Capacity || got.Load != st.Load() || got.Paused != st.Paused) {
			add("store %s: capacity %d, load %d, paused %v; the log says %d, %d, %v", id, got.Capacity, got.Load, got.Paused, st.Capacity, st.Load(), st.Paused)
		}
	}
	ids := sortedIDs(v.reservations)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids[:min(sample, len(ids))] {
		r := v.reservations[id]
		if !r.Exists() {
			continue
		}
		var got reservationView
		if get("/reservations/"+id.String(), &got) {
			store := ""
			if got.StoreID != nil {
				store = *got.StoreID
			}
			if got.Status != string(r.Status) || store != r.StoreID || got.ProductID != r.ProductID || got.CustomerID != r.CustomerID {
				add("reservation %s: %s at %q; the log says %s at %q", id, got.Status, store, r.Status, r.StoreID)
			}
		}
	}
	// Every customer's list: the same reservations as the log, newest first.
	byCustomer := map[string][]*domain.Reservation{}
	for _, r := range v.reservations {
		if r.Exists() {
			byCustomer[r.CustomerID] = append(byCustomer[r.CustomerID], r)
		}
	}
	for _, cust := range sortedKeys(byCustomer) {
		want := byCustomer[cust]
		var got []reservationView
		if !get("/reservations?customerId="+cust+"&"+pos, &got) {
			continue
		}
		if len(got) != min(len(want), 500) {
			add("customer %s: %d reservations; the log has %d", cust, len(got), len(want))
			continue
		}
		seen := map[uuid.UUID]bool{}
		for i, g := range got {
			r := v.reservations[g.ID]
			if r == nil || r.CustomerID != cust || g.Status != string(r.Status) {
				add("customer %s: lists reservation %s as %s, which the log does not have so", cust, g.ID, g.Status)
			}
			if seen[g.ID] {
				add("customer %s: lists reservation %s twice", cust, g.ID)
			}
			seen[g.ID] = true
			if i > 0 && r != nil {
				if prev := v.reservations[got[i-1].ID]; prev != nil && prev.CreatedAt.Before(r.CreatedAt) {
					add("customer %s: %s (placed %s) listed before the newer %s", cust, prev.ID, prev.CreatedAt, r.ID)
				}
			}
		}
		if slices.ContainsFunc(want, func(r *domain.Reservation) bool { return !seen[r.ID] }) && len(want) <= 500 {
			add("customer %s: the list misses reservations the log has", cust)
		}
	}
	return out
}
