package projections_test

import (
	"iter"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/projections"
)

// memKV is projections.KV over maps: the folds without disk.
type memKV struct{ buckets map[string]map[string][]byte }

func newMemKV() *memKV { return &memKV{buckets: map[string]map[string][]byte{}} }

func (m *memKV) Get(bucket, key []byte) []byte {
	v, ok := m.buckets[string(bucket)][string(key)]
	if !ok {
		return nil
	}
	return v
}

// Put stores a copy of value; nil is stored as empty, as bbolt does.
func (m *memKV) Put(bucket, key, value []byte) error {
	b := m.buckets[string(bucket)]
	if b == nil {
		b = map[string][]byte{}
		m.buckets[string(bucket)] = b
	}
	b[string(key)] = append([]byte{}, value...)
	return nil
}

func (m *memKV) Scan(bucket, prefix []byte, reverse bool) iter.Seq2[[]byte, []byte] {
	return func(yield func(k, v []byte) bool) {
		b := m.buckets[string(bucket)]
		keys := make([]string, 0, len(b))
		for k := range b {
			if strings.HasPrefix(k, string(prefix)) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys) // byte order, as bbolt's
		if reverse {
			slices.Reverse(keys)
		}
		for _, k := range keys {
			if !yield([]byte(k), b[k]) {
				return
			}
		}
	}
}

func (m *memKV) delete(bucket, key string) { delete(m.buckets[bucket], key) }

func TestCompare(t *testing.T) {
	events := []domain.Event{created("p1", 5, 0), created("p2", 1, 1), reserved("p1", r1, "c1", 2),
		placed(r1, "p1", "c1", 3), registered("s1", 2, 4), registered("s2", 2, 5)}
	want, got := newMemKV(), newMemKV()
	apply(t, want, events...)
	apply(t, got, events...)
	var diffs []projections.Difference
	collect := func(d projections.Difference) { diffs = append(diffs, d) }
	if n := projections.Compare(want, got, collect); n != 0 || len(diffs) != 0 {
		t.Fatalf("Compare of equal read models = %d: %v", n, diffs)
	}

	p1 := got.Get([]byte("products"), []byte("p1"))
	s2 := want.Get([]byte("stores"), []byte("s2"))
	got.delete("stores", "s2")
	got.Put([]byte("products"), []byte("p1"), []byte(`{"id":"p1"}`))
	got.Put([]byte("reservations"), []byte("zzz"), []byte(`{}`))
	want.Put([]byte("reservations"), []byte("aaa"), []byte(`{"a":1}`))
	n := projections.Compare(want, got, collect)
	wantDiffs := []projections.Difference{
		{Bucket: "products", Key: []byte("p1"), Want: p1, Got: []byte(`{"id":"p1"}`)},
		{Bucket: "stores", Key: []byte("s2"), Want: s2},
		{Bucket: "reservations", Key: []byte("aaa"), Want: []byte(`{"a":1}`)},
		{Bucket: "reservations", Key: []byte("zzz"), Got: []byte(`{}`)},
	}
	if n != len(wantDiffs) {
		t.Errorf("Compare = %d, want %d", n, len(wantDiffs))
	}
	slices.SortFunc(diffs, func(a, b projections.Difference) int {
		return strings.Compare(a.Bucket+string(a.Key), b.Bucket+string(b.Key))
	})
	slices.SortFunc(wantDiffs, func(a, b projections.Difference) int {
		return strings.Compare(a.Bucket+string(a.Key), b.Bucket+string(b.Key))
	})
	if !reflect.DeepEqual(diffs, wantDiffs) {
		t.Errorf("differences:\n%v\nwant\n%v", diffs, wantDiffs)
	}
	for _, d := range diffs {
		if !strings.Contains(d.String(), d.Bucket) {
			t.Errorf("Difference.String() = %q names no bucket", d.String())
		}
	}
}
