package assign_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

// workload is a launch day in Seoul where capacity binds: stores crowd the
// commercial districts, customers come from the residential ones, and
// there are barely more places than reservations, so the stores nearest
// the demand fill up and later customers travel.
type workload struct {
	stores       []assign.Store
	reservations []domain.Location // in arrival order
	meters       [][]int64         // meters[i][j]: reservation i to store j, rounded
}

type hub struct {
	at     domain.Location
	sigma  float64 // spread in degrees
	weight int
}

var (
	// supplyHubs: Gangnam, Jongno, Hongdae, Jamsil, Yeouido.
	supplyHubs = []hub{
		{domain.Location{Lat: 37.4979, Lon: 127.0276}, 0.012, 5},
		{domain.Location{Lat: 37.5720, Lon: 126.9794}, 0.012, 4},
		{domain.Location{Lat: 37.5563, Lon: 126.9220}, 0.010, 3},
		{domain.Location{Lat: 37.5133, Lon: 127.1000}, 0.010, 2},
		{domain.Location{Lat: 37.5219, Lon: 126.9245}, 0.008, 2},
	}
	// demandHubs: Nowon, Gwanak, Gangseo, Songpa, Bundang, Eunpyeong.
	demandHubs = []hub{
		{domain.Location{Lat: 37.6542, Lon: 127.0568}, 0.025, 4},
		{domain.Location{Lat: 37.4784, Lon: 126.9516}, 0.020, 3},
		{domain.Location{Lat: 37.5509, Lon: 126.8495}, 0.025, 3},
		{domain.Location{Lat: 37.5145, Lon: 127.1059}, 0.020, 3},
		{domain.Location{Lat: 37.3826, Lon: 127.1190}, 0.030, 2},
		{domain.Location{Lat: 37.6027, Lon: 126.9291}, 0.020, 2},
	}
)

// drawFrom is a place near one of hubs, picked by weight.
func drawFrom(r *rand.Rand, hubs []hub) domain.Location {
	total := 0
	for _, h := range hubs {
		total += h.weight
	}
	w := r.IntN(total)
	for _, h := range hubs {
		if w < h.weight {
			return near(r, h.at, h.sigma)
		}
		w -= h.weight
	}
	panic("unreachable")
}

// newWorkload makes nStores stores with room for 2% more than
// nReservations reservations.
func newWorkload(r *rand.Rand, nStores, nReservations int) workload {
	var wl workload
	room := nReservations + nReservations/50
	weights := make([]float64, nStores)
	sum := 0.0
	for j := range weights {
		weights[j] = 0.5 + r.Float64()
		sum += weights[j]
	}
	given := 0
	for j := range nStores {
		capacity := int(float64(room) * weights[j] / sum)
		if j == nStores-1 {
			capacity = room - given
		}
		given += capacity
		wl.stores = append(wl.stores, assign.Store{ID: fmt.Sprintf("store-%02d", j),
			Location: drawFrom(r, supplyHubs), Capacity: capacity})
	}
	for range nReservations {
		wl.reservations = append(wl.reservations, drawFrom(r, demandHubs))
	}
	wl.meters = make([][]int64, nReservations)
	for i, at := range wl.reservations {
		wl.meters[i] = make([]int64, nStores)
		for j, s := range wl.stores {
			wl.meters[i][j] = int64(math.Round(assign.DistanceKm(at, s.Location) * 1000))
		}
	}
	return wl
}

// online assigns the reservations in arrival order, each by Choose, the
// chosen store's load growing by one; it returns the total in meters.
func (wl workload) online(tb testing.TB) int64 {
	d := directoryOf(wl.stores)
	index := make(map[string]int, len(wl.stores))
	for j, s := range wl.stores {
		index[s.ID] = j
	}
	var total int64
	for i, at := range wl.reservations {
		c, ok := d.Choose(at, nil)
		if !ok {
			tb.Fatalf("reservation %d found no store", i)
		}
		s, _ := d.Get(c.StoreID)
		s.Load++
		d.Put(s)
		total += wl.meters[i][index[c.StoreID]]
	}
	return total
}

func (wl workload) optimal() int64 {
	capacity := make([]int, len(wl.stores))
	for j, s := range wl.stores {
		capacity[j] = s.Capacity
	}
	_, total := optimalAssignment(wl.meters, capacity)
	return total
}

// BenchmarkAssignmentQuality compares online assignment, one reservation
// at a time by Choose, with the offline optimum of the same reservations
// under the same capacities: 60 stores, 1,800 reservations.
func BenchmarkAssignmentQuality(b *testing.B) {
	var online, optimal int64
	for b.Loop() {
		wl := newWorkload(rand.New(rand.NewPCG(7, 11)), 60, 1800)
		online, optimal = wl.online(b), wl.optimal()
	}
	b.ReportMetric(float64(online)/1000, "online-km")
	b.ReportMetric(float64(optimal)/1000, "optimal-km")
	b.ReportMetric(float64(online)/float64(optimal), "online/optimal")
}

// TestOptimalAssignmentIsOptimal checks the baseline itself: on tiny
// instances against every possible assignment, and on the generated
// workload that it never loses to online assignment.
func TestOptimalAssignmentIsOptimal(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for round := range 2000 {
		nStores, nRes := 1+r.IntN(3), r.IntN(7)
		capacity := make([]int, nStores)
		for range nRes + r.IntN(3) { // enough room, spread at random
			capacity[r.IntN(nStores)]++
		}
		cost := make([][]int64, nRes)
		for i := range cost {
			cost[i] = make([]int64, nStores)
			for j := range cost[i] {
				cost[i][j] = r.Int64N(20)
			}
		}
		store, total := optimalAssignment(cost, capacity)
		held := make([]int, nStores)
		var sum int64
		for i, j := range store {
			held[j]++
			sum += cost[i][j]
		}
		for j := range held {
			if held[j] > capacity[j] {
				t.Fatalf("round %d: store %d holds %d, capacity %d", round, j, held[j], capacity[j])
			}
		}
		if want := cheapest(cost, capacity, 0); total != want || sum != total {
			t.Fatalf("round %d: cost %v capacity %v: total %d (sum %d), cheapest %d", round, cost, capacity, total, sum, want)
		}
	}

	nRes := 1800
	if testing.Short() {
		nRes = 300
	}
	wl := newWorkload(rand.New(rand.NewPCG(7, 11)), 60, nRes)
	online, optimal := wl.online(t), wl.optimal()
	if online < optimal {
		t.Fatalf("online %d m beats the optimum %d m", online, optimal)
	}
	t.Logf("online %.1f km, optimal %.1f km, ratio %.3f", float64(online)/1000, float64(optimal)/1000, float64(online)/float64(optimal))
}

// cheapest is the least total cost of assigning reservations i and after,
// found by trying every store for each.
func cheapest(cost [][]int64, capacity []int, i int) int64 {
	if i == len(cost) {
		return 0
	}
	best := int64(math.MaxInt64)
	for j := range capacity {
		if capacity[j] == 0 {
			continue
		}
		capacity[j]--
		if c := cost[i][j] + cheapest(cost, capacity, i+1); c < best {
			best = c
		}
		capacity[j]++
	}
	return best
}
