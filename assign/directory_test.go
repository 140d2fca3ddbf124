package assign_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

func TestStoreFree(t *testing.T) {
	tests := []struct {
		name           string
		capacity, load int
		want           int
	}{
		{name: "empty", capacity: 5, want: 5},
		{name: "some taken", capacity: 5, load: 2, want: 3},
		{name: "full", capacity: 5, load: 5, want: 0},
		{name: "over capacity", capacity: 5, load: 7, want: 0},
		{name: "no capacity", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (assign.Store{Capacity: tt.capacity, Load: tt.load}).Free(); got != tt.want {
				t.Errorf("Free() = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestPutReplaces checks that replacing a store, moved or with a new load
// or pause, is what the next choice sees.
func TestPutReplaces(t *testing.T) {
	d := assign.NewDirectory()
	d.Put(at("a", 1, 3))
	d.Put(at("b", 20, 3))
	choose := func(want string) {
		t.Helper()
		got, ok := d.Choose(origin, nil)
		if got.StoreID != want || ok != (want != "") {
			t.Fatalf("Choose = %q, %v; want %q", got.StoreID, ok, want)
		}
	}
	choose("a")

	moved := at("a", 50, 3) // a moves past b, to another cell
	d.Put(moved)
	choose("b")
	if got, _ := d.Get("a"); got != moved {
		t.Errorf("Get(a) = %+v, want %+v", got, moved)
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2", d.Len())
	}

	d.Put(at("b", 20, 0)) // b fills up
	choose("a")
	d.Put(paused(at("a", 50, 3)))
	choose("")
	d.Put(at("b", 20.1, 1)) // b frees a place, moving within its cell
	choose("b")
	if _, ok := d.Get("c"); ok {
		t.Error("Get(c) found a store never put")
	}
	d.Put(assign.Store{ID: "b", Location: domain.Location{Lat: 100}, Capacity: 1}) // to nowhere
	choose("")
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2", d.Len())
	}
}

// TestConcurrentUse runs Put, Get and Choose together, for the race
// detector.
func TestConcurrentUse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	stores := koreaStores(r, 2000)
	d := directoryOf(stores)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(5, uint64(g)))
			for i := range 500 {
				switch at := koreaPlace(r); g {
				case 0:
					s := stores[r.IntN(len(stores))]
					s.Location, s.Load = at, r.IntN(s.Capacity+1)
					d.Put(s)
				case 1:
					d.Get(fmt.Sprint("store-", i))
				default:
					d.Choose(at, func(id string) bool { return len(id)%2 == 0 })
				}
			}
		})
	}
	wg.Wait()
	if d.Len() != len(stores) {
		t.Errorf("Len = %d, want %d", d.Len(), len(stores))
	}
}
