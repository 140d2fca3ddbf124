package eventstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// Next walks one aggregate's log a message at a time, skipping other
// aggregates' messages, from any replica or from the leader.
func TestNext(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	a1 := appendOK(t, s, "next-a", 0, nth("next-a", 0))
	b1 := appendOK(t, s, "next-b", 0, nth("next-b", 0))
	a2 := appendOK(t, s, "next-a", a1, nth("next-a", 1))
	appendOK(t, s, "next-b", b1, nth("next-b", 1))
	for _, next := range []func(uint64) (eventstore.Message, error){
		func(from uint64) (eventstore.Message, error) { return s.Next(ctx, eventstore.Products, "next-a", from) },
		func(from uint64) (eventstore.Message, error) {
			return s.NextFromLeader(ctx, eventstore.Products, "next-a", from)
		},
	} {
		tests := []struct {
			from    uint64
			want    uint64
			wantErr error
		}{
			{from: 0, want: a1},
			{from: a1, want: a1},
			{from: a1 + 1, want: a2},
			{from: a2, want: a2},
			{from: a2 + 1, wantErr: eventstore.ErrNotFound},
		}
		for _, tt := range tests {
			m, err := next(tt.from)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Next from %d: %v, want %v", tt.from, err, tt.wantErr)
			}
			if err != nil {
				continue
			}
			if m.Seq != tt.want || m.ID != "next-a" || m.Err != nil || len(m.Events) != 1 {
				t.Fatalf("Next from %d = seq %d id %s err %v events %d; want seq %d", tt.from, m.Seq, m.ID, m.Err, len(m.Events), tt.want)
			}
			var p domain.Product
			if err := m.State(&p); err != nil || p.ID != "next-a" {
				t.Fatalf("state at %d: %+v, %v", m.Seq, p, err)
			}
		}
	}
	// A message that does not decode comes with its error, not as one.
	if err := nc.Publish(eventstore.Products.Subject("next-a"), []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var m eventstore.Message
	eventually(t, 5*time.Second, func() bool {
		var err error
		m, err = s.NextFromLeader(ctx, eventstore.Products, "next-a", a2+1)
		return err == nil
	})
	if m.Err == nil || m.Seq <= a2 {
		t.Fatalf("undecodable message: seq %d err %v; want an error after %d", m.Seq, m.Err, a2)
	}
	if _, err := s.Next(ctx, eventstore.Products, "bad.id", 1); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Next of a bad id: %v, want ErrInvalid", err)
	}
}
