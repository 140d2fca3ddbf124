package assign_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

// region is a latitude/longitude box places are drawn from.
type region struct{ latLo, latHi, lonLo, lonHi float64 }

var (
	korea = region{33, 38.6, 124.6, 131}
	globe = region{-90, 90, -180, 180}
	// seoul is the capital area, Incheon to Namyangju, Ilsan to Suwon.
	seoul = region{37.25, 37.72, 126.7, 127.2}
)

func (g region) uniform(r *rand.Rand) domain.Location {
	return domain.Location{Lat: g.latLo + r.Float64()*(g.latHi-g.latLo), Lon: g.lonLo + r.Float64()*(g.lonHi-g.lonLo)}
}

// near is a place around c, spread by about sigma degrees, kept valid:
// latitude clamped, longitude wrapped across the antimeridian.
func near(r *rand.Rand, c domain.Location, sigma float64) domain.Location {
	lat := math.Max(-90, math.Min(90, c.Lat+r.NormFloat64()*sigma))
	lon := c.Lon + r.NormFloat64()*sigma
	for lon > 180 {
		lon -= 360
	}
	for lon < -180 {
		lon += 360
	}
	return domain.Location{Lat: lat, Lon: lon}
}

// clusters returns a generator of places grouped around k centres drawn
// from g, each with its own spread.
func clusters(r *rand.Rand, g region, k int) func() domain.Location {
	centres := make([]domain.Location, k)
	sigmas := make([]float64, k)
	for i := range centres {
		centres[i] = g.uniform(r)
		sigmas[i] = 0.002 + r.Float64()*0.3
	}
	return func() domain.Location {
		i := r.IntN(k)
		return near(r, centres[i], sigmas[i])
	}
}

// koreaCities are centres of demand and supply, weighted roughly by
// population.
var koreaCities = []struct {
	at     domain.Location
	weight int
}{
	{domain.Location{Lat: 37.5665, Lon: 126.9780}, 40}, // Seoul
	{domain.Location{Lat: 35.1796, Lon: 129.0756}, 12}, // Busan
	{domain.Location{Lat: 37.4563, Lon: 126.7052}, 10}, // Incheon
	{domain.Location{Lat: 35.8714, Lon: 128.6014}, 8},  // Daegu
	{domain.Location{Lat: 36.3504, Lon: 127.3845}, 5},  // Daejeon
	{domain.Location{Lat: 35.1595, Lon: 126.8526}, 5},  // Gwangju
	{domain.Location{Lat: 35.5384, Lon: 129.3114}, 4},  // Ulsan
	{domain.Location{Lat: 37.2636, Lon: 127.0286}, 8},  // Suwon
	{domain.Location{Lat: 33.4996, Lon: 126.5312}, 2},  // Jeju
	{domain.Location{Lat: 36.6424, Lon: 127.4890}, 3},  // Cheongju
	{domain.Location{Lat: 37.8813, Lon: 127.7298}, 3},  // Chuncheon
}

// koreaPlace is a place in Korea: most near a city, the rest anywhere in
// the country's box.
func koreaPlace(r *rand.Rand) domain.Location {
	if r.IntN(10) < 3 {
		return korea.uniform(r)
	}
	w := r.IntN(100)
	for _, c := range koreaCities {
		if w < c.weight {
			return near(r, c.at, 0.08)
		}
		w -= c.weight
	}
	return near(r, koreaCities[0].at, 0.08)
}

// koreaStores is n stores over Korea with realistic loads: capacities of
// 5 to 40, about a quarter of the stores full and 2% paused.
func koreaStores(r *rand.Rand, n int) []assign.Store {
	stores := make([]assign.Store, n)
	for i := range stores {
		capacity := 5 + r.IntN(36)
		load := r.IntN(capacity)
		if r.IntN(4) == 0 {
			load = capacity
		}
		stores[i] = assign.Store{ID: fmt.Sprintf("store-%05d", i), Location: koreaPlace(r),
			Capacity: capacity, Load: load, Paused: r.IntN(50) == 0}
	}
	return stores
}

// uniqueIDs renames stores whose ID is taken by an earlier one.
func uniqueIDs(stores []assign.Store) []assign.Store {
	taken := make(map[string]bool, len(stores))
	for i := range stores {
		for taken[stores[i].ID] {
			stores[i].ID += "x"
		}
		taken[stores[i].ID] = true
	}
	return stores
}

func directoryOf(stores []assign.Store) *assign.Directory {
	d := assign.NewDirectory()
	for _, s := range stores {
		d.Put(s)
	}
	return d
}
