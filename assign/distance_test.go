package assign_test

import (
	"math"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

func TestDistanceKm(t *testing.T) {
	seoulCityHall := domain.Location{Lat: 37.5665, Lon: 126.9780}
	busanStation := domain.Location{Lat: 35.1151, Lon: 129.0415}
	// The straight line is about 329 km (329.09 km on the WGS84 ellipsoid
	// by Vincenty's formula), not the 325 km often quoted for the two
	// cities; the sphere gives 329.31 km.
	tests := []struct {
		name      string
		a, b      domain.Location
		want, tol float64
	}{
		{name: "Seoul City Hall to Busan Station", a: seoulCityHall, b: busanStation, want: 329.3, tol: 1},
		{name: "Busan Station to Seoul City Hall", a: busanStation, b: seoulCityHall, want: 329.3, tol: 1},
		{name: "same point", a: seoulCityHall, b: seoulCityHall, want: 0},
		{name: "antipodes on the equator", a: domain.Location{Lon: 0}, b: domain.Location{Lon: 180}, want: 20015.1, tol: 0.1},
		{name: "antipodes through the poles", a: domain.Location{Lat: 90}, b: domain.Location{Lat: -90}, want: 20015.1, tol: 0.1},
		{name: "antipodes of Seoul", a: seoulCityHall, b: domain.Location{Lat: -37.5665, Lon: 126.9780 - 180}, want: 20015.1, tol: 0.1},
		{name: "across the antimeridian", a: domain.Location{Lon: 179.5}, b: domain.Location{Lon: -179.5}, want: 111.195, tol: 0.001},
		{name: "180 and -180 are one meridian", a: domain.Location{Lat: 10, Lon: 180}, b: domain.Location{Lat: 10, Lon: -180}, want: 0, tol: 1e-9},
		{name: "any longitude at the pole", a: domain.Location{Lat: 90, Lon: 0}, b: domain.Location{Lat: 90, Lon: 123}, want: 0, tol: 1e-9},
		{name: "one degree of the equator", a: domain.Location{}, b: domain.Location{Lon: 1}, want: 111.195, tol: 0.001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assign.DistanceKm(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("DistanceKm = %.6f km, want %.6f ± %g", got, tt.want, tt.tol)
			}
		})
	}
}
