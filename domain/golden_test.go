package domain_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tshop/tshop/domain"
)

// readGolden returns testdata/<name>.json without its trailing newline.
func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatalf("every event type needs a golden file: %v", err)
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// TestGoldenEvents decodes the stored data of every event type: an event
// stored once must decode forever, and encode to the same bytes.
func TestGoldenEvents(t *testing.T) {
	for _, name := range domain.EventTypes() {
		t.Run(name, func(t *testing.T) {
			data := readGolden(t, name)
			e, err := domain.DecodeEvent(name, data)
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if got := e.EventType(); got != name {
				t.Fatalf("decoded a %T whose EventType() is %q", e, got)
			}
			v := reflect.ValueOf(e)
			if v.Kind() != reflect.Struct {
				t.Fatalf("decoded a %T, want a struct value", e)
			}
			// A zero field would let a renamed or dropped field pass unseen.
			for i := range v.NumField() {
				if v.Field(i).IsZero() {
					t.Errorf("field %s is zero: the golden file should set every field", v.Type().Field(i).Name)
				}
			}
			got, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("json.Marshal of the decoded event\n got %s\nwant %s", got, data)
			}

			stored, err := domain.MarshalEvent(e)
			if err != nil {
				t.Fatalf("MarshalEvent: %v", err)
			}
			if want := `{"type":"` + name + `","data":` + string(data) + `}`; string(stored) != want {
				t.Fatalf("MarshalEvent\n got %s\nwant %s", stored, want)
			}
			back, err := domain.UnmarshalEvent(stored)
			if err != nil {
				t.Fatalf("UnmarshalEvent: %v", err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Fatalf("UnmarshalEvent\n got %#v\nwant %#v", back, e)
			}
		})
	}
}

// TestGoldenFilesAreKnown fails on a golden file of no known event type: a
// type was renamed or dropped, and its stored events would no longer decode.
func TestGoldenFilesAreKnown(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	types := domain.EventTypes()
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !slices.Contains(types, name) {
			t.Errorf("%s: no event type %q", f, name)
		}
	}
	if len(files) != len(types) {
		t.Errorf("%d golden files for %d event types", len(files), len(types))
	}
}

func TestEventTypes(t *testing.T) {
	types := domain.EventTypes()
	if !slices.IsSorted(types) {
		t.Errorf("EventTypes() = %v, not sorted", types)
	}
	if len(slices.Compact(slices.Clone(types))) != len(types) {
		t.Errorf("EventTypes() = %v, has duplicates", types)
	}
	types[0] = "Clobbered"
	if domain.EventTypes()[0] == "Clobbered" {
		t.Error("EventTypes() returns a slice the caller can change")
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		data string
	}{
		{"unknown type", "ProductDeleted", `{"productId":"galaxy-s26-256"}`},
		{"empty type", "", `{}`},
		{"type in wrong case", "productCreated", `{"productId":"galaxy-s26-256"}`},
		{"Go type name", "domain.ProductCreated", `{"productId":"galaxy-s26-256"}`},
		{"no data", "ProductCreated", ``},
		{"truncated", "ProductCreated", `{"productId":"galaxy-s26-256","stock":`},
		{"not an object", "ProductCreated", `["galaxy-s26-256"]`},
		{"string for a number", "ProductCreated", `{"productId":"galaxy-s26-256","stock":"300"}`},
		{"fraction for a count", "ProductRestocked", `{"productId":"galaxy-s26-256","quantity":1.5}`},
		{"negative product seq", "CancelRequested", `{"productSeq":-1}`},
		{"bad time", "StorePaused", `{"storeId":"gangnam-01","at":"25 Nov 2026"}`},
		{"bad uuid", "StoreSlotTaken", `{"storeId":"gangnam-01","reservationId":"res-1"}`},
		{"string for a location", "StockReserved", `{"location":"강남역"}`},
		{"trailing garbage", "StorePaused", `{"storeId":"gangnam-01"}x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := domain.DecodeEvent(tt.typ, []byte(tt.data)); err == nil {
				t.Fatalf("DecodeEvent(%q, %s) = %#v, want an error", tt.typ, tt.data, e)
			}
		})
	}
}

func TestUnmarshalEventErrors(t *testing.T) {
	tests := []struct {
		name string
		b    string
	}{
		{"empty", ``},
		{"not JSON", `ProductCreated`},
		{"not an object", `["ProductCreated",{}]`},
		{"no type", `{"data":{"storeId":"gangnam-01"}}`},
		{"unknown type", `{"type":"StoreClosed","data":{"storeId":"gangnam-01"}}`},
		{"no data", `{"type":"StorePaused"}`},
		{"type not a string", `{"type":7,"data":{}}`},
		{"malformed data", `{"type":"StorePaused","data":{"storeId":7}}`},
		{"null data", `{"type":"StorePaused","data":null}`},
		{"array data", `{"type":"StorePaused","data":[]}`},
		{"truncated", `{"type":"StorePaused","data":{"storeId":"gangnam-01"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := domain.UnmarshalEvent([]byte(tt.b)); err == nil {
				t.Fatalf("UnmarshalEvent(%s) = %#v, want an error", tt.b, e)
			}
		})
	}
}

// FuzzUnmarshalEvent feeds stored events from outside to the decoder. What
// decodes must encode again, and encoding is stable from then on.
func FuzzUnmarshalEvent(f *testing.F) {
	for _, name := range domain.EventTypes() {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(`{"type":"` + name + `","data":` + string(bytes.TrimSpace(b)) + `}`))
	}
	f.Add([]byte(`{"type":"ReservationAccepted","data":{"distanceKm":-0,"at":"2026-11-25T18:31:00+09:00"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := domain.UnmarshalEvent(b)
		if err != nil {
			return
		}
		once, err := domain.MarshalEvent(e)
		if err != nil {
			t.Fatalf("MarshalEvent(%#v) of a decoded event: %v", e, err)
		}
		back, err := domain.UnmarshalEvent(once)
		if err != nil {
			t.Fatalf("UnmarshalEvent(%s) of an encoded event: %v", once, err)
		}
		twice, err := domain.MarshalEvent(back)
		if err != nil {
			t.Fatalf("MarshalEvent(%#v): %v", back, err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}

// Events stored before a type gained fields still decode, with the new
// fields at their zero value: testdata/v1, v2, ... keep them as first
// written, one directory per time a type gained fields.
func TestGoldenEventsOfEarlierVersions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no earlier versions in testdata/v*: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := domain.DecodeEvent(name, bytes.TrimSpace(b))
		if err != nil {
			t.Errorf("%s as first written: %v", name, err)
			continue
		}
		if e.EventType() != name {
			t.Errorf("%s decoded as %s", name, e.EventType())
		}
	}
}
