package projections

import (
	"encoding/json"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
)

// ChangeSubject is the core NATS subject a projector publishes a Change on
// after each transaction it commits to its read model. Notices are not
// stored: a listener that was away reads the views again instead.
const ChangeSubject = "tshop.view.changed"

// MaxChangeIDs bounds the ids a Change names per kind; beyond it the
// Change is Truncated.
const MaxChangeIDs = 64

// Change says which views one committed transaction changed: the views of
// one stream's aggregates, now reflecting that stream up to Seq. A query
// that passes Stream:Seq as its position sees at least this state.
//
// Every replica publishes its own Changes, so a listener may hear the same
// change more than once, and replicas batch differently: a Change whose
// Seq is not above the highest Seq already heard for its stream names
// nothing new to a listener that heard every notice since it started.
type Change struct {
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"`
	// Checkpoints is the replica's checkpoint of every stream after the
	// transaction.
	Checkpoints map[string]uint64 `json:"checkpoints"`
	// The aggregates whose views changed; only the kind of Stream is set.
	Reservations []string `json:"reservations,omitempty"`
	Products     []string `json:"products,omitempty"`
	Stores       []string `json:"stores,omitempty"`
	// Truncated means more than MaxChangeIDs aggregates changed: the ids
	// named are some of them, and the listener should read the whole kind
	// again.
	Truncated bool `json:"truncated,omitempty"`
}

// PublishChanges makes the projector publish a Change on ChangeSubject
// over nc after each transaction it commits. Call it before Run. A notice
// that cannot be published is dropped: they are hints, and the views are
// the truth.
func (p *Projector) PublishChanges(nc *nats.Conn) {
	p.changed = func(k eventstore.Kind, batch []eventstore.Message) {
		c := newChange(k, batch, p.db.Checkpoints())
		data, err := json.Marshal(c)
		if err == nil {
			err = nc.Publish(ChangeSubject, data)
		}
		if err != nil {
			p.log.Debug("change notice not published", "subject", ChangeSubject, "stream", c.Stream, "seq", c.Seq, "err", err)
		}
	}
}

// newChange describes a batch of stream k just applied, with the read
// model's checkpoints after it.
func newChange(k eventstore.Kind, batch []eventstore.Message, checkpoints map[eventstore.Kind]uint64) Change {
	c := Change{Stream: k.Stream(), Seq: checkpoints[k], Checkpoints: make(map[string]uint64, len(checkpoints))}
	for kind, seq := range checkpoints {
		c.Checkpoints[kind.Stream()] = seq
	}
	var ids *[]string
	switch k {
	case eventstore.Reservations:
		ids = &c.Reservations
	case eventstore.Products:
		ids = &c.Products
	case eventstore.Stores:
		ids = &c.Stores
	default:
		c.Truncated = true
		return c
	}
	seen := make(map[string]bool, min(len(batch), MaxChangeIDs))
	for _, m := range batch {
		if seen[m.ID] || m.ID == "" || len(m.ID) > maxKeyLen {
			continue
		}
		if len(seen) == MaxChangeIDs {
			c.Truncated = true
			break
		}
		seen[m.ID] = true
		*ids = append(*ids, m.ID)
	}
	return c
}

// noteChanged reports a committed batch to the listener PublishChanges set,
// if any.
func (p *Projector) noteChanged(k eventstore.Kind, batch []eventstore.Message) {
	if p.changed != nil {
		p.changed(k, batch)
	}
}
