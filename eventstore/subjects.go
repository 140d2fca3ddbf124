package eventstore

import "fmt"

// Kind is an aggregate type; each kind has its own stream.
type Kind int

// The aggregate types of Tshop.
const (
	Products Kind = iota
	Reservations
	Stores
)

var kinds = [...]struct {
	stream, prefix string
}{
	Products:     {"TSHOP_PRODUCTS", "tshop.product."},
	Reservations: {"TSHOP_RESERVATIONS", "tshop.reservation."},
	Stores:       {"TSHOP_STORES", "tshop.store."},
}

// Kinds lists every aggregate type.
func Kinds() []Kind { return []Kind{Products, Reservations, Stores} }

// Stream is the name of the JetStream stream that holds kind's events.
func (k Kind) Stream() string { return kinds[k].stream }

// String is the kind's subject token.
func (k Kind) String() string {
	switch k {
	case Products:
		return "product"
	case Reservations:
		return "reservation"
	case Stores:
		return "store"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Subject is the one literal subject that holds the aggregate's events. The
// id must already be valid as a single subject token (domain ids and UUIDs
// are).
func (k Kind) Subject(id string) string { return kinds[k].prefix + id }

// wildcard matches every aggregate of the kind.
func (k Kind) wildcard() string { return kinds[k].prefix + "*" }

// idOf returns the aggregate id of a subject of kind k.
func (k Kind) idOf(subject string) string { return subject[len(kinds[k].prefix):] }
