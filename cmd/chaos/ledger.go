package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// ledger is what the clients were told: every reservation acknowledged
// with a 201, the reservation each Idempotency-Key named, every request's
// outcome, and the violations a single answer showed.
type ledger struct {
	mu      sync.Mutex
	acked   map[uuid.UUID]ack
	order   []uuid.UUID
	keys    map[string]uuid.UUID
	keyed   []keyedRequest
	writes  []write
	outcome map[string]map[string]int
	bad     []violation
	stores  []string
}

// ack is a 201 to a reservation request.
type ack struct {
	product, customer, key string
	at                     time.Time
}

// keyedRequest is a reservation sent with an Idempotency-Key, to send
// again later.
type keyedRequest struct {
	key  string
	body reserveBody
}

// write is a reservation request that got its 201 for a new reservation:
// when it was sent and when the answer came.
type write struct{ start, end time.Time }

func newLedger() *ledger {
	return &ledger{acked: map[uuid.UUID]ack{}, keys: map[string]uuid.UUID{}, outcome: map[string]map[string]int{}}
}

// count records the outcome of one request.
func (l *ledger) count(op, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.outcome[op]
	if m == nil {
		m = map[string]int{}
		l.outcome[op] = m
	}
	m[outcome]++
}

func (l *ledger) violation(kind, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad = append(l.bad, violation{kind: kind, detail: fmt.Sprintf(format, args...)})
}

// reserved records a 201: the reservation, and under a key, that the key
// names it (a key that named another one before is a violation). A replay
// of a key wrote nothing, so it does not count as a write.
func (l *ledger) reserved(id uuid.UUID, body reserveBody, key string, replayed bool, start, end time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !replayed {
		l.writes = append(l.writes, write{start, end})
	}
	if key != "" {
		if prev, ok := l.keys[key]; ok && prev != id {
			l.bad = append(l.bad, violation{kind: "idempotency", detail: fmt.Sprintf("Idempotency-Key %q answered reservation %s, earlier %s", key, id, prev)})
		}
		if _, ok := l.keys[key]; !ok {
			l.keys[key] = id
		}
	}
	if _, ok := l.acked[id]; !ok {
		l.acked[id] = ack{product: body.ProductID, customer: body.CustomerID, key: key, at: end}
		l.order = append(l.order, id)
	}
}

func (l *ledger) rememberKey(key string, body reserveBody) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keyed = append(l.keyed, keyedRequest{key, body})
}

// someKey is a key sent before, or false.
func (l *ledger) someKey(rng *rand.Rand) (keyedRequest, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keyed) == 0 {
		return keyedRequest{}, false
	}
	return l.keyed[rng.IntN(len(l.keyed))], true
}

// someReservation is an acknowledged reservation, recent ones more likely.
func (l *ledger) someReservation(rng *rand.Rand) (uuid.UUID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.order)
	if n == 0 {
		return uuid.Nil, false
	}
	if rng.IntN(2) == 0 {
		return l.order[n-1-rng.IntN(min(n, 50))], true
	}
	return l.order[rng.IntN(n)], true
}

func (l *ledger) addStore(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.stores {
		if s == id {
			return
		}
	}
	l.stores = append(l.stores, id)
}

func (l *ledger) someStore(rng *rand.Rand) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stores[rng.IntN(len(l.stores))]
}

func (l *ledger) ackedIDs() []uuid.UUID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]uuid.UUID(nil), l.order...)
}

// firstWriteAfter is the first 201 for a new reservation to a request
// sent at or after t: when its answer came, or false.
func (l *ledger) firstWriteAfter(t time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Writes are recorded as their answers come, so those answered
	// before t, and so sent before it, are all at the front.
	var first time.Time
	for i := len(l.writes) - 1; i >= 0 && !l.writes[i].end.Before(t); i-- {
		if w := l.writes[i]; !w.start.Before(t) && (first.IsZero() || w.end.Before(first)) {
			first = w.end
		}
	}
	return first, !first.IsZero()
}

func (l *ledger) violations() []violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]violation(nil), l.bad...)
}

// outcomes formats the outcome counts, one line per kind of request.
func (l *ledger) outcomes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := make([]string, 0, len(l.outcome))
	for op := range l.outcome {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var lines []string
	for _, op := range ops {
		m := l.outcome[op]
		outs := make([]string, 0, len(m))
		total := 0
		for o := range m {
			outs = append(outs, o)
			total += m[o]
		}
		sort.Strings(outs)
		parts := make([]string, len(outs))
		for i, o := range outs {
			parts[i] = fmt.Sprintf("%s %d", o, m[o])
		}
		lines = append(lines, fmt.Sprintf("%-22s %6d  %s", op, total, strings.Join(parts, ", ")))
	}
	return lines
}
