package domain_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

func idsOf(n int) domain.IDList {
	l := make(domain.IDList, n)
	for i := range l {
		l[i] = uuid.New()
	}
	return l
}

// A store's state with the ids it holds comes back the same, in order,
// from the compact form it is written in and from the array form older
// logs hold.
func TestIDListRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 200} {
		s := domain.Store{ID: "s", Name: "n", Capacity: 500, Holding: idsOf(n)}
		if n == 0 {
			s.Holding = nil
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && strings.Contains(string(data), s.Holding[0].String()) {
			t.Fatalf("%d ids written in their text form: %s", n, data)
		}
		var back domain.Store
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Holding, s.Holding) {
			t.Fatalf("%d ids came back as %v, want %v", n, back.Holding, s.Holding)
		}
		old, _ := json.Marshal(struct {
			Holding []uuid.UUID `json:"holding"`
		}{s.Holding})
		back = domain.Store{}
		if err := json.Unmarshal(old, &back); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Holding, s.Holding) {
			t.Fatalf("array form of %d ids came back as %v, want %v", n, back.Holding, s.Holding)
		}
	}
	// An escaped string is still a string.
	var l domain.IDList
	if err := json.Unmarshal([]byte(`"\u0041AAAAAAAAAAAAAAAAAAAAA=="`), &l); err != nil || len(l) != 1 {
		t.Fatalf("escaped form: %v, %v", l, err)
	}
}

// What is not a list of whole ids is refused, not cut short.
func TestIDListRefusesJunk(t *testing.T) {
	for _, in := range []string{`"AAAA"`, `"not base64!"`, `5`, `{}`, `["x"]`, `"`, `"\u00zz"`, `[`, `true`} {
		var l domain.IDList
		if err := json.Unmarshal([]byte(in), &l); err == nil {
			t.Errorf("%s decoded to %v, want an error", in, l)
		}
	}
}

func BenchmarkStoreState(b *testing.B) {
	s := domain.Store{ID: "s", Name: "n", Capacity: 500, Holding: idsOf(200)}
	compact, _ := json.Marshal(s)
	array, _ := json.Marshal(struct {
		domain.Store
		Holding []uuid.UUID `json:"holding"`
	}{s, s.Holding})
	for _, c := range []struct {
		name string
		data []byte
	}{{"compact", compact}, {"array", array}} {
		b.Run("decode-"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				var st domain.Store
				if err := json.Unmarshal(c.data, &st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("encode-compact", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-array", func(b *testing.B) {
		arr := []uuid.UUID(s.Holding)
		for b.Loop() {
			if _, err := json.Marshal(arr); err != nil {
				b.Fatal(err)
			}
		}
	})
}
