package assign_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

// fuzzStores reads stores, as the assigner's directory gets them from the
// store log, from data: 12 bytes a store, its location an offset of up to
// about ±3° (and now and then off the earth) from base. Ids repeat, so a
// later store moves or replaces an earlier one.
func fuzzStores(data []byte, base domain.Location) []assign.Store {
	var out []assign.Store
	for len(data) >= 12 && len(out) < 64 {
		b := data[:12]
		data = data[12:]
		dLat := float64(int16(binary.BigEndian.Uint16(b[1:]))) / 10000
		dLon := float64(int16(binary.BigEndian.Uint16(b[3:]))) / 10000
		loc := domain.Location{Lat: base.Lat + dLat, Lon: base.Lon + dLon}
		switch b[5] % 16 {
		case 0:
			loc.Lat = math.Float64frombits(binary.BigEndian.Uint64(b[4:])) // anything at all
		case 1:
			loc.Lon += 360
		}
		out = append(out, assign.Store{
			ID:       fmt.Sprintf("s%d", b[0]%24),
			Location: loc,
			Capacity: int(int8(b[6])),
			Load:     int(b[7] % 8),
			Paused:   b[8]%5 == 0,
		})
	}
	return out
}

// FuzzChoose builds a directory from stores as the log describes them and
// chooses for a customer anywhere, valid or not: Choose never panics and
// always answers what BruteForce answers over the same stores.
func FuzzChoose(f *testing.F) {
	f.Add([]byte("\x01\x00\x10\x00\x10\x02\x05\x01\x01\x00\x00\x00\x02\xff\xf0\x00\x20\x02\x03\x00\x01\x00\x00\x00"), 37.5, 127.0, uint8(0))
	f.Add([]byte("\x01\x00\x00\x00\x00\x02\x01\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x02\x01\x00\x01\x00\x00\x00"), 89.999, 179.9999, uint8(1))
	f.Add([]byte("\x03\x7f\xff\x80\x00\x02\x7f\x00\x00\x00\x00\x00\x04\x80\x00\x7f\xff\x00\xff\x07\x05\x00\x00\x00"), -90.0, -180.0, uint8(2))
	f.Add([]byte("\x05\x00\x01\x00\x01\x10\x02\x00\x01\x7f\xf8\x00\x00\x00\x00\x00"), 0.0, 180.0, uint8(3))
	f.Add([]byte{}, math.NaN(), math.Inf(1), uint8(0))
	f.Add([]byte("\x01\x00\x10\x00\x10\x02\x05\x01\x01\x00\x00\x00"), 1e308, -1e308, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, lat, lon float64, rejectMask uint8) {
		at := domain.Location{Lat: lat, Lon: lon}
		base := at
		if at.Validate() != nil {
			base = domain.Location{Lat: 37.5, Lon: 127}
		}
		stores := fuzzStores(data, base)
		d := assign.NewDirectory()
		latest := map[string]assign.Store{}
		var order []string
		for _, s := range stores {
			d.Put(s)
			if _, ok := latest[s.ID]; !ok {
				order = append(order, s.ID)
			}
			latest[s.ID] = s
		}
		held := make([]assign.Store, 0, len(order))
		for _, id := range order {
			held = append(held, latest[id])
		}
		if d.Len() != len(held) {
			t.Fatalf("directory holds %d stores, want %d", d.Len(), len(held))
		}
		rejected := func(id string) bool {
			var n int
			fmt.Sscanf(id, "s%d", &n)
			return rejectMask&(1<<(n%8)) != 0
		}
		got, gotOK := d.Choose(at, rejected)
		want, wantOK := assign.BruteForce(held, at, rejected)
		if gotOK != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("Choose(%v) = %+v, %v; BruteForce = %+v, %v\nstores %+v", at, got, gotOK, want, wantOK, held)
		}
		if gotOK {
			s, _ := d.Get(got.StoreID)
			if s.Paused || s.Free() == 0 || rejected(s.ID) || math.IsNaN(got.DistanceKm) || got.DistanceKm < 0 {
				t.Fatalf("Choose(%v) chose %+v at %v km", at, s, got.DistanceKm)
			}
		}
	})
}
