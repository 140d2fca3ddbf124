package domain_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tshop/tshop/domain"
)

// goldenData returns the data of every golden event, by type name, with
// the earlier versions in testdata/v1 under "v1/<type>".
func goldenData(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{"*.json", "v1/*.json"} {
		files, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			rel, _ := filepath.Rel("testdata", f)
			out[filepath.ToSlash(rel[:len(rel)-len(".json")])] = bytes.TrimSpace(b)
		}
	}
	return out
}

// decodedGolden returns each golden event decoded, by type name.
func decodedGolden(tb testing.TB) map[string]domain.Event {
	tb.Helper()
	out := map[string]domain.Event{}
	for name, data := range goldenData(tb) {
		typ := filepath.Base(name)
		e, err := domain.DecodeEvent(typ, data)
		if err != nil {
			tb.Fatalf("golden %s: %v", name, err)
		}
		if name == typ {
			out[typ] = e
		}
	}
	return out
}

// aggregates returns zero and lived-in aggregates of each kind, built from
// the golden events, for a fuzzed event to be folded into.
func aggregates(tb testing.TB) (products []domain.Product, stores []domain.Store, reservations []domain.Reservation) {
	tb.Helper()
	g := decodedGolden(tb)
	p := domain.Product{}.Evolve(g["ProductCreated"]).Evolve(g["StockReserved"])
	s := domain.Store{}.Evolve(g["StoreRegistered"]).Evolve(g["StoreSlotTaken"])
	placed := domain.Reservation{}.Evolve(g["ReservationPlaced"])
	accepted := placed.Evolve(g["ReservationAccepted"])
	cancelling := accepted.Evolve(g["CancelRequested"])
	return []domain.Product{{}, p},
		[]domain.Store{{}, s, s.Evolve(g["StorePaused"])},
		[]domain.Reservation{{}, placed, accepted, cancelling, cancelling.Evolve(g["StockRestored"])}
}

// FuzzDecodeEvent feeds the data of an event of a named type, as read back
// from the log, to DecodeEvent. It must never panic. What decodes is an
// event of that type whose encoding decodes again to the same encoding, and
// which every aggregate folds without panicking.
func FuzzDecodeEvent(f *testing.F) {
	for name, data := range goldenData(f) {
		f.Add(filepath.Base(name), data)
	}
	products, stores, reservations := aggregates(f)
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := domain.DecodeEvent(typ, data)
		if err != nil {
			if e != nil {
				t.Fatalf("DecodeEvent returned %#v with error %v", e, err)
			}
			return
		}
		if e.EventType() != typ {
			t.Fatalf("DecodeEvent(%q) gave a %s", typ, e.EventType())
		}
		once, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("encode a decoded %s: %v", typ, err)
		}
		back, err := domain.DecodeEvent(typ, once)
		if err != nil {
			t.Fatalf("decode the encoding %s of a decoded %s: %v", once, typ, err)
		}
		twice, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("encode %#v: %v", back, err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip is not stable:\n%s\n%s", once, twice)
		}
		_ = e.AggregateID()
		_ = e.OccurredAt()
		// Evolve never fails, whatever the log holds.
		for _, p := range products {
			_ = p.Evolve(e)
		}
		for _, s := range stores {
			_ = s.Evolve(e).Load()
		}
		for _, r := range reservations {
			_ = r.Evolve(e).Status.Label()
		}
	})
}

// TestDecodeEventRefusesTimesItCannotEncode: time.Time decodes offsets of
// 24 hours that it refuses to encode; an event holding one would decode
// but could never be folded into a state or a view.
func TestDecodeEventRefusesTimesItCannotEncode(t *testing.T) {
	for _, at := range []string{"2026-11-25T18:00:00+24:00", "2026-11-25T18:00:00-24:00", "2026-11-25T18:00:00+23:60"} {
		data := []byte(`{"storeId":"gangnam-01","at":"` + at + `"}`)
		if e, err := domain.DecodeEvent("StorePaused", data); err == nil {
			t.Errorf("DecodeEvent(%s) = %#v, want an error", data, e)
		}
	}
	for _, at := range []string{"2026-11-25T18:00:00+23:59", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00Z"} {
		data := []byte(`{"storeId":"gangnam-01","at":"` + at + `"}`)
		if _, err := domain.DecodeEvent("StorePaused", data); err != nil {
			t.Errorf("DecodeEvent(%s): %v", data, err)
		}
	}
}
