package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

// violation is one broken promise of the contract.
type violation struct {
	kind   string
	detail string
}

func (v violation) String() string { return v.kind + ": " + v.detail }

// unsettled lists what the system has yet to finish once the workload has
// stopped: held units not yet placed, cancels not yet complete, placed
// reservations that a store has room for, slots held by the wrong store.
// A caught-up system has none; what is still there after a long wait is a
// violation.
func unsettled(v *logView) []violation {
	var out []violation
	add := func(kind, format string, args ...any) {
		out = append(out, violation{kind: kind, detail: fmt.Sprintf(format, args...)})
	}
	for id, pid := range v.holdOf {
		r := v.reservations[id]
		switch {
		case r == nil || !r.Exists():
			add("placed", "a unit of %s is held for reservation %s, which was never placed", pid, id)
		case r.ProductID != pid:
			add("placed", "reservation %s is of %s, its unit held by %s", id, r.ProductID, pid)
		}
	}
	holders := v.holders()
	for _, id := range sortedIDs(v.reservations) {
		r := v.reservations[id]
		switch r.Status {
		case domain.StatusCancelling:
			add("cancel", "reservation %s is still CANCELLING (stock restored %v, store released %v); its messages: %s", id, r.StockRestored, r.StoreReleased, strings.Join(v.history[id], "; "))
		case domain.StatusPlaced:
			if st := v.roomFor(r); st != "" {
				add("assign", "reservation %s is PLACED while store %s has room for it", id, st)
			}
		case domain.StatusAccepted:
			if !slices.Contains(holders[id], r.StoreID) {
				add("store", "reservation %s is ACCEPTED by %s, which does not hold it", id, r.StoreID)
			}
		}
	}
	for _, id := range sortedIDs(holders) {
		stores := holders[id]
		r := v.reservations[id]
		if r == nil || r.Status != domain.StatusAccepted || len(stores) != 1 || stores[0] != r.StoreID {
			status, by := domain.Status("unknown"), ""
			if r != nil {
				status, by = r.Status, r.StoreID
			}
			add("store", "stores %v hold reservation %s, which is %s (store %q); its messages: %s", stores, id, status, by, strings.Join(v.history[id], "; "))
		}
	}
	return out
}

// holders maps each reservation a store holds to the stores holding it.
func (v *logView) holders() map[uuid.UUID][]string {
	h := map[uuid.UUID][]string{}
	for sid, st := range v.stores {
		for _, id := range st.Holding {
			h[id] = append(h[id], sid)
		}
	}
	for _, s := range h {
		sort.Strings(s)
	}
	return h
}

// roomFor names a store that could take r now, or "".
func (v *logView) roomFor(r *domain.Reservation) string {
	for _, sid := range sortedKeys(v.stores) {
		st := v.stores[sid]
		if !st.Paused && st.Free() > 0 && !slices.Contains(r.RejectedBy, sid) {
			return sid
		}
	}
	return ""
}

// checkLog checks every invariant of the contract that the log alone can
// show, on a system that has settled, and every acknowledged reservation
// the ledger recorded.
func checkLog(v *logView, l *ledger) []violation {
	out := append([]violation(nil), v.problems...)
	add := func(kind, format string, args ...any) {
		out = append(out, violation{kind: kind, detail: fmt.Sprintf(format, args...)})
	}
	out = append(out, unsettled(v)...)
	for _, pid := range sortedKeys(v.products) {
		pl := v.products[pid]
		open := 0
		for id, n := range pl.holds {
			if n > 0 && pl.releases[id] == 0 {
				open++
			}
		}
		if open != pl.p.Reserved {
			add("stock", "product %s: %d units held by reservations not cancelled, reserved says %d", pid, open, pl.p.Reserved)
		}
	}
	for _, id := range sortedIDs(v.reservations) {
		r := v.reservations[id]
		if !r.Exists() {
			add("log", "reservation %s has events but was never placed", id)
			continue
		}
		pl := v.products[r.ProductID]
		released := 0
		if pl != nil {
			released = pl.releases[id]
		}
		switch r.Status {
		case domain.StatusCancelled:
			if released != 1 || !r.StockRestored {
				add("cancel", "cancelled reservation %s gave %d units back (restored recorded: %v)", id, released, r.StockRestored)
			}
			if r.StoreID != "" {
				add("cancel", "cancelled reservation %s names store %s", id, r.StoreID)
			}
		case domain.StatusCancelling:
			// reported by unsettled
		default:
			if released != 0 {
				add("cancel", "reservation %s is %s yet gave its unit back %d times", id, r.Status, released)
			}
		}
	}
	for _, id := range l.ackedIDs() {
		a := l.acked[id]
		r := v.reservations[id]
		switch {
		case r == nil || !r.Exists():
			add("acked", "201 for reservation %s (%s, key %q) at %s, which is not in the log", id, a.product, a.key, a.at.Format("15:04:05.000"))
		case v.holdOf[id] == "":
			add("acked", "201 for reservation %s, whose unit no product holds", id)
		case r.ProductID != a.product || r.CustomerID != a.customer:
			add("acked", "201 for reservation %s of %s for %s; the log has %s for %s", id, a.product, a.customer, r.ProductID, r.CustomerID)
		}
	}
	return out
}

func sortedIDs[V any](m map[uuid.UUID]V) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
