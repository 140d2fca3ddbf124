package eventstore

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is an aggregate type, or one writer's part of one. Each of the three
// aggregate types has its own stream; a part lives in its aggregate's
// stream on a subject of its own, so that NATS permissions can give each
// part to one writer.
type Kind int

// The aggregate types of Tshop, and the parts written by another process
// than the aggregate's own.
const (
	Products Kind = iota
	Reservations
	Stores
	// Assignments is the assigner's part of each reservation (which store
	// holds it), beside it in TSHOP_RESERVATIONS.
	Assignments
	// Slots is the assigner's part of each store (which reservations it
	// holds), beside it in TSHOP_STORES.
	Slots
)

var kinds = [...]struct {
	// home is the kind whose stream holds this one: itself for the three
	// aggregate types.
	home   Kind
	stream string
	token  string
	prefix string
	// events are the event types a message of this kind may hold: a
	// subject bounds where a writer may write, not what, so readers refuse
	// any other (see decodeBody).
	events []string
}{
	Products: {Products, "TSHOP_PRODUCTS", "product", "tshop.product.",
		[]string{"ProductCreated", "ProductRestocked", "StockReserved", "StockReleased"}},
	Reservations: {Reservations, "TSHOP_RESERVATIONS", "reservation", "tshop.reservation.",
		[]string{"ReservationPlaced", "ReservationRejected", "CancelRequested", "StockRestored", "ReservationFulfilled"}},
	Stores: {Stores, "TSHOP_STORES", "store", "tshop.store.",
		[]string{"StoreRegistered", "StorePaused", "StoreResumed"}},
	Assignments: {Reservations, "TSHOP_RESERVATIONS", "assignment", "tshop.assignment.",
		[]string{"ReservationAccepted", "StoreReleased"}},
	Slots: {Stores, "TSHOP_STORES", "slots", "tshop.slots.",
		[]string{"StoreSlotTaken", "StoreSlotReleased"}},
}

// Kinds lists the aggregate types, one per stream.
func Kinds() []Kind { return []Kind{Products, Reservations, Stores} }

// Parts lists the kinds whose subjects k's stream holds: k's aggregate
// type first.
func (k Kind) Parts() []Kind { return slices.Clone(parts[k.Home()]) }

// parts lists, per aggregate type, the kinds its stream holds, worked out
// once: every message read asks which part its subject is.
var parts = func() map[Kind][]Kind {
	out := map[Kind][]Kind{}
	for _, home := range Kinds() {
		out[home] = []Kind{home}
		for p := range kinds {
			if Kind(p) != home && kinds[p].home == home {
				out[home] = append(out[home], Kind(p))
			}
		}
	}
	return out
}()

// Home is the aggregate type whose stream holds k: k itself, or the
// aggregate a part belongs to.
func (k Kind) Home() Kind { return kinds[k].home }

// Stream is the name of the JetStream stream that holds kind's events.
func (k Kind) Stream() string { return kinds[k].stream }

// String is the kind's subject token.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kinds) {
		return kinds[k].token
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Subject is the one literal subject that holds the aggregate's events (or
// the part's). The id must already be valid as a single subject token
// (domain ids and UUIDs are).
func (k Kind) Subject(id string) string { return kinds[k].prefix + id }

// Holds reports whether a message of kind k may hold an event of the type.
func (k Kind) Holds(eventType string) bool { return slices.Contains(kinds[k].events, eventType) }

// wildcard matches every aggregate of the kind.
func (k Kind) wildcard() string { return kinds[k].prefix + "*" }

// wildcards matches every subject of k's stream.
func (k Kind) wildcards() []string {
	var out []string
	for _, p := range k.Parts() {
		out = append(out, p.wildcard())
	}
	return out
}

// aggregateFilter matches the subjects of every part of aggregate id in
// k's stream and nothing else of it: the parts' prefixes differ in their
// second token only.
func (k Kind) aggregateFilter(id string) string {
	if len(parts[k.Home()]) == 1 {
		return k.Subject(id)
	}
	return "tshop.*." + id
}

// idOf returns the aggregate id of a subject of kind k.
func (k Kind) idOf(subject string) string { return subject[len(kinds[k].prefix):] }

// kindOf returns the kind of a subject of stream's, and the aggregate id in
// it; ok is false for a subject of none of its parts.
func kindOf(stream Kind, subject string) (k Kind, id string, ok bool) {
	for _, p := range parts[stream.Home()] {
		if strings.HasPrefix(subject, kinds[p].prefix) {
			return p, p.idOf(subject), true
		}
	}
	return stream, "", false
}
