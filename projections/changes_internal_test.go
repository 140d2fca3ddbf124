package projections

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tshop/tshop/eventstore"
)

func TestNewChange(t *testing.T) {
	checkpoints := map[eventstore.Kind]uint64{eventstore.Products: 9, eventstore.Reservations: 4, eventstore.Stores: 2}
	msgs := func(ids ...string) []eventstore.Message {
		var out []eventstore.Message
		for i, id := range ids {
			out = append(out, eventstore.Message{ID: id, Seq: uint64(i + 1)})
		}
		return out
	}
	many := make([]string, MaxChangeIDs+6)
	for i := range many {
		many[i] = fmt.Sprintf("p-%03d", i)
	}
	tests := []struct {
		name          string
		kind          eventstore.Kind
		batch         []eventstore.Message
		wantIDs       []string
		wantTruncated bool
	}{
		{"products, each once", eventstore.Products, msgs("p1", "p2", "p1"), []string{"p1", "p2"}, false},
		{"stores", eventstore.Stores, msgs("s1"), []string{"s1"}, false},
		{"reservations", eventstore.Reservations, msgs("r1", "r2"), []string{"r1", "r2"}, false},
		{"no id named twice within the bound", eventstore.Products, msgs(slices.Concat(many[:MaxChangeIDs], many[:3])...), many[:MaxChangeIDs], false},
		{"beyond the bound", eventstore.Products, msgs(many...), many[:MaxChangeIDs], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChange(tt.kind, tt.batch, checkpoints)
			if c.Stream != tt.kind.Stream() || c.Seq != checkpoints[tt.kind] {
				t.Errorf("stream %s seq %d, want %s %d", c.Stream, c.Seq, tt.kind.Stream(), checkpoints[tt.kind])
			}
			if len(c.Checkpoints) != 3 || c.Checkpoints["TSHOP_PRODUCTS"] != 9 || c.Checkpoints["TSHOP_RESERVATIONS"] != 4 || c.Checkpoints["TSHOP_STORES"] != 2 {
				t.Errorf("checkpoints %v", c.Checkpoints)
			}
			got := map[eventstore.Kind][]string{eventstore.Products: c.Products, eventstore.Reservations: c.Reservations, eventstore.Stores: c.Stores}
			for k, ids := range got {
				want := []string(nil)
				if k == tt.kind {
					want = tt.wantIDs
				}
				if !slices.Equal(ids, want) {
					t.Errorf("%s ids %v, want %v", k.Stream(), ids, want)
				}
			}
			if c.Truncated != tt.wantTruncated {
				t.Errorf("truncated %v, want %v", c.Truncated, tt.wantTruncated)
			}
		})
	}
}
