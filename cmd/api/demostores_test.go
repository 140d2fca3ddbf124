package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tshop/tshop/domain"
)

// demoDistrictOf returns the district a generated store id belongs to.
func demoDistrictOf(t *testing.T, id string) district {
	t.Helper()
	cut := strings.LastIndexByte(id, '-')
	if cut < 0 {
		t.Fatalf("id %q has no district prefix", id)
	}
	for _, d := range districts {
		if d.slug == id[:cut] {
			return d
		}
	}
	t.Fatalf("id %q names no district", id)
	return district{}
}

// demoDistanceKm is the great-circle distance between two points.
func demoDistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthRadiusKm = 6371.0
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(a))
}

// inSouthKorea reports whether a point lies in South Korea's bounding box.
func inSouthKorea(lat, lon float64) bool {
	return lat >= 33.0 && lat <= 38.7 && lon >= 124.5 && lon <= 131.0
}

func TestDemoDirectoryDeterministic(t *testing.T) {
	a, b := demoDirectory(), demoDirectory()
	if !slices.Equal(a, b) {
		t.Fatal("demoDirectory differs between calls")
	}
	// The caller owns what it gets.
	a[0].Capacity = -1
	if c := demoDirectory(); c[0].Capacity == -1 {
		t.Fatal("demoDirectory shares its result between calls")
	}
}

func TestDemoDirectory(t *testing.T) {
	stores := demoDirectory()
	if n := len(stores); n < 250 || n > 400 {
		t.Fatalf("demoDirectory has %d stores, want 250 to 400", n)
	}
	t.Logf("%d stores in %d districts", len(stores), len(districts))

	handWritten := make(map[string]bool, len(demoStores))
	for _, s := range demoStores {
		handWritten[s.ID] = true
	}
	seen := make(map[string]bool, len(stores))
	perDistrict := make(map[string]int)
	seoul := 0
	for _, s := range stores {
		if err := s.Validate(); err != nil {
			t.Errorf("store %q: %v", s.ID, err)
		}
		if seen[s.ID] {
			t.Errorf("store id %q repeats", s.ID)
		}
		seen[s.ID] = true
		if handWritten[s.ID] {
			t.Errorf("store id %q collides with a hand-written demo store", s.ID)
		}
		if !inSouthKorea(s.Location.Lat, s.Location.Lon) {
			t.Errorf("store %q at %v lies outside South Korea", s.ID, s.Location)
		}
		if s.Capacity < 10 || s.Capacity > 60 {
			t.Errorf("store %q has capacity %d, want 10 to 60", s.ID, s.Capacity)
		}
		d := demoDistrictOf(t, s.ID)
		perDistrict[d.slug]++
		if !strings.HasPrefix(s.Name, "T world "+d.name+" ") || !strings.HasSuffix(s.Name, "호점") {
			t.Errorf("store %q is named %q, want T world %s <n>호점", s.ID, s.Name, d.name)
		}
		// The jitter is up to 1.5 km; rounding to 4 places adds ~10 m.
		if km := demoDistanceKm(d.lat, d.lon, s.Location.Lat, s.Location.Lon); km > demoJitterKm+0.05 {
			t.Errorf("store %q lies %.2f km from the centre of %s", s.ID, km, d.slug)
		}
		if strings.HasPrefix(s.ID, "seoul-") {
			seoul++
		}
	}
	if seoul < 40 {
		t.Errorf("Seoul holds %d stores, want at least 40", seoul)
	}
	for _, d := range districts {
		n := perDistrict[d.slug]
		if n < 1 || n > 4 || n < d.weight-1 || n > d.weight {
			t.Errorf("district %s (weight %d) has %d stores", d.slug, d.weight, n)
		}
	}
	// Bigger districts hold bigger stores on average.
	var sum, count [5]int
	for _, s := range stores {
		w := demoDistrictOf(t, s.ID).weight
		sum[w] += s.Capacity
		count[w]++
	}
	for w := 2; w <= 4; w++ {
		if count[w-1] > 0 && count[w] > 0 && sum[w]*count[w-1] <= sum[w-1]*count[w] {
			t.Errorf("weight %d stores are not bigger on average than weight %d stores", w, w-1)
		}
	}
}

func TestDemoDistricts(t *testing.T) {
	slugs := make(map[string]bool, len(districts))
	names := make(map[string]bool, len(districts))
	places := make(map[[2]float64]string, len(districts))
	for _, d := range districts {
		if slugs[d.slug] {
			t.Errorf("slug %q repeats", d.slug)
		}
		slugs[d.slug] = true
		if names[d.name] {
			t.Errorf("name %q repeats", d.name)
		}
		names[d.name] = true
		if other, ok := places[[2]float64{d.lat, d.lon}]; ok {
			t.Errorf("%s and %s share a centre", d.slug, other)
		}
		places[[2]float64{d.lat, d.lon}] = d.slug
		// The longest id the generator could make must still be valid.
		if err := domain.ValidateID("id", d.slug+"-99"); err != nil {
			t.Errorf("slug %q: %v", d.slug, err)
		}
		if d.name == "" || !utf8.ValidString(d.name) {
			t.Errorf("district %s has name %q", d.slug, d.name)
		}
		if d.weight < 1 || d.weight > 4 {
			t.Errorf("district %s has weight %d, want 1 to 4", d.slug, d.weight)
		}
		if !inSouthKorea(d.lat, d.lon) {
			t.Errorf("district %s at %v,%v lies outside South Korea", d.slug, d.lat, d.lon)
		}
		if round4(d.lat) != d.lat || round4(d.lon) != d.lon {
			t.Errorf("district %s has more than 4 decimal places", d.slug)
		}
	}

	// Every district of the special and metropolitan cities, and each
	// lies near its city (a typo in a coordinate would usually not).
	cities := []struct {
		prefix string
		want   int
	}{
		{"seoul-", 25}, {"busan-", 16}, {"incheon-", 10}, {"daegu-", 9},
		{"gwangju-", 5}, {"daejeon-", 5}, {"ulsan-", 5},
	}
	for _, c := range cities {
		var first *district
		n := 0
		for i, d := range districts {
			if !strings.HasPrefix(d.slug, c.prefix) {
				continue
			}
			n++
			if first == nil {
				first = &districts[i]
				continue
			}
			if km := demoDistanceKm(first.lat, first.lon, d.lat, d.lon); km > 50 {
				t.Errorf("%s lies %.0f km from %s", d.slug, km, first.slug)
			}
		}
		if n != c.want {
			t.Errorf("%s*: %d districts, want %d", c.prefix, n, c.want)
		}
	}

	known := []struct {
		slug     string
		lat, lon float64
	}{
		{"seoul-jung", 37.5636, 126.9976},
		{"seoul-gangnam", 37.5172, 127.0473},
		{"busan-haeundae", 35.1631, 129.1636},
		{"jeju", 33.4996, 126.5312},
		{"seogwipo", 33.2541, 126.5601},
		{"daejeon-seo", 36.3554, 127.3838},
		{"sejong", 36.4800, 127.2890},
		{"seongnam-bundang", 37.3827, 127.1189},
		{"gangneung", 37.7519, 128.8761},
		{"gwangju-dong", 35.1461, 126.9232},
	}
	for _, k := range known {
		i := slices.IndexFunc(districts, func(d district) bool { return d.slug == k.slug })
		if i < 0 {
			t.Errorf("no district %s", k.slug)
			continue
		}
		d := districts[i]
		if math.Abs(d.lat-k.lat) > 0.05 || math.Abs(d.lon-k.lon) > 0.05 {
			t.Errorf("%s at %v,%v, want within 0.05° of %v,%v", k.slug, d.lat, d.lon, k.lat, k.lon)
		}
	}
	// The hand-written 강남역점 lies in 강남구, a few km from its office.
	if km := demoDistanceKm(37.5172, 127.0473, demoStores[0].Location.Lat, demoStores[0].Location.Lon); km > 5 {
		t.Errorf("강남구 centre lies %.1f km from %s", km, demoStores[0].ID)
	}
}
