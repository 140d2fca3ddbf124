package assign_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

// scenario is a random directory and the customers that query it.
type scenario struct {
	name     string
	stores   []assign.Store
	place    func() domain.Location // where stores are and customers come from
	rejected func(string) bool
}

// newScenario draws the shape of a directory: where the stores are, how
// many, how loaded and paused, and which stores turned the customer down.
func newScenario(r *rand.Rand) scenario {
	var sc scenario
	switch kind := r.IntN(9); kind {
	case 0:
		sc.name, sc.place = "korea uniform", func() domain.Location { return korea.uniform(r) }
	case 1:
		sc.name, sc.place = "korea clustered", clusters(r, korea, 1+r.IntN(12))
	case 2:
		sc.name, sc.place = "globe uniform", func() domain.Location { return globe.uniform(r) }
	case 3:
		sc.name, sc.place = "globe clustered", clusters(r, globe, 1+r.IntN(20))
	case 4:
		poles := []region{{84, 90, -180, 180}, {-90, -84, -180, 180}}
		sc.name, sc.place = "poles", func() domain.Location { return poles[r.IntN(2)].uniform(r) }
	case 5:
		sc.name, sc.place = "antimeridian", clusters(r, region{-70, 70, 179.5, 180}, 1+r.IntN(4))
	case 6:
		points := make([]domain.Location, 1+r.IntN(3))
		for i := range points {
			points[i] = korea.uniform(r)
		}
		sc.name, sc.place = "same points", func() domain.Location { return points[r.IntN(len(points))] }
	case 7:
		sc.name, sc.place = "symmetric", symmetric(r)
	default:
		sc.name, sc.place = "korea dense", clusters(r, seoul, 1+r.IntN(3))
	}
	n := 1 + r.IntN([]int{3, 30, 300, 2000}[r.IntN(4)])
	full := []float64{0, 0.2, 0.9, 1}[r.IntN(4)]
	paused := []float64{0, 0.05, 0.5, 1}[r.IntN(4)]
	maxCap := []int{1, 3, 20}[r.IntN(3)]
	sc.stores = make([]assign.Store, n)
	for i := range sc.stores {
		capacity := 1 + r.IntN(maxCap)
		load := r.IntN(capacity)
		if r.Float64() < full {
			load = capacity + r.IntN(2)
		}
		sc.stores[i] = assign.Store{ID: fmt.Sprintf("s%d", r.IntN(4*n)), Location: sc.place(),
			Capacity: capacity, Load: load, Paused: r.Float64() < paused}
	}
	sc.stores = uniqueIDs(sc.stores)
	if reject := []float64{-1, 0, 0.1, 0.6, 1}[r.IntN(5)]; reject >= 0 {
		set := make(map[string]bool)
		for _, s := range sc.stores {
			if r.Float64() < reject {
				set[s.ID] = true
			}
		}
		sc.rejected = func(id string) bool { return set[id] }
	}
	sc.name = fmt.Sprintf("%s/n=%d/full=%v/paused=%v", sc.name, n, full, paused)
	return sc
}

// symmetric places stores in mirror pairs about the meridian 0 and the
// equator, around customers on them, so distances tie exactly.
func symmetric(r *rand.Rand) func() domain.Location {
	lat := []float64{0, 37.5, -60, 89.9}[r.IntN(4)]
	return func() domain.Location {
		dLat, dLon := float64(r.IntN(5))*0.01, float64(r.IntN(5))*0.01
		if r.IntN(2) == 0 {
			dLon = -dLon
		}
		if lat == 0 && r.IntN(2) == 0 {
			dLat = -dLat
		}
		return domain.Location{Lat: min(90, lat+dLat), Lon: dLon}
	}
}

// customer is where a query comes from: mostly the scenario's places, some
// exactly at a store, some at the poles, the antimeridian or anywhere.
func (sc scenario) customer(r *rand.Rand) domain.Location {
	switch k := r.IntN(20); {
	case k < 13:
		return sc.place()
	case k < 16:
		return sc.stores[r.IntN(len(sc.stores))].Location
	case k < 18:
		return globe.uniform(r)
	default:
		special := []domain.Location{{Lat: 90}, {Lat: -90, Lon: 180}, {Lat: 0, Lon: 180}, {Lat: 0, Lon: -180},
			{Lat: 37.5, Lon: 0}, {Lat: 0, Lon: 0}}
		return special[r.IntN(len(special))]
	}
}

// TestChooseMatchesBruteForce is the index's proof: on random directories
// of every shape, before and after stores are replaced, Choose answers
// exactly as BruteForce, Considered included; once as shipped, once with
// the index search never giving way to a scan.
func TestChooseMatchesBruteForce(t *testing.T) {
	t.Run("as shipped", func(t *testing.T) { matchBruteForce(t, 1, 300) })
	t.Run("walk only", func(t *testing.T) {
		defer assign.WalkOnly()()
		matchBruteForce(t, 2, 150)
	})
}

func matchBruteForce(t *testing.T, seed uint64, rounds int) {
	r := rand.New(rand.NewPCG(2024, seed))
	queries, ok := 15, 0
	if testing.Short() {
		rounds /= 5
	}
	for round := range rounds {
		sc := newScenario(r)
		d := directoryOf(sc.stores)
		check := func(phase string) {
			t.Helper()
			for range queries {
				at := sc.customer(r)
				got, gotOK := d.Choose(at, sc.rejected)
				want, wantOK := assign.BruteForce(sc.stores, at, sc.rejected)
				if gotOK != wantOK || !reflect.DeepEqual(got, want) {
					t.Fatalf("round %d %s (%s), customer %+v:\nChoose     %v %+v\nBruteForce %v %+v",
						round, sc.name, phase, at, gotOK, got, wantOK, want)
				}
				if gotOK {
					ok++
				}
			}
		}
		check("as put")
		for range 1 + len(sc.stores)/5 {
			i := r.IntN(len(sc.stores))
			s := &sc.stores[i]
			switch r.IntN(4) {
			case 0:
				s.Location = sc.place()
			case 1:
				s.Load = r.IntN(s.Capacity + 2)
			case 2:
				s.Paused = !s.Paused
			default:
				s.Location, s.Capacity, s.Load = sc.customer(r), 1+r.IntN(5), 0
			}
			d.Put(*s)
		}
		if d.Len() != len(sc.stores) {
			t.Fatalf("round %d: Len %d after replacing, want %d", round, d.Len(), len(sc.stores))
		}
		check("replaced")
	}
	t.Logf("%d rounds, %d queries found a store", rounds, ok)
}
