package assign

import (
	"math"

	"github.com/tshop/tshop/domain"
)

// earthRadiusKm is the mean earth radius (IUGG) used for every distance.
const earthRadiusKm = 6371.0088

const degree = math.Pi / 180

// DistanceKm is the great-circle distance between a and b in kilometres, by
// the haversine formula on a sphere of radius 6371.0088 km.
func DistanceKm(a, b domain.Location) float64 {
	return haversine(pointOf(a), pointOf(b))
}

// point is a location in radians with the cosine of its latitude, computed
// once so that the index and DistanceKm do the very same arithmetic and get
// bit-identical distances.
type point struct {
	lat, lon, cosLat float64
}

func pointOf(l domain.Location) point {
	lat := l.Lat * degree
	return point{lat: lat, lon: l.Lon * degree, cosLat: math.Cos(lat)}
}

// haversine is the great-circle distance between a and b in km. The explicit
// float64 conversions forbid fused multiply-adds, so the result does not
// depend on where the compiler inlines it.
func haversine(a, b point) float64 {
	return arcKm(havBetween(a, b))
}

// havBetween is the haversine of the central angle between a and b.
func havBetween(a, b point) float64 {
	sLat := math.Sin((b.lat - a.lat) / 2)
	sLon := math.Sin((b.lon - a.lon) / 2)
	return float64(sLat*sLat) + float64(float64(a.cosLat*b.cosLat)*float64(sLon*sLon))
}

// arcKm turns the haversine of a central angle into kilometres; it never
// decreases as h grows.
func arcKm(h float64) float64 {
	if h >= 1 {
		h = 1
	} else if !(h > 0) {
		h = 0
	}
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h))
}

// havAbove is a haversine value past which arcKm is surely beyond km: the
// haversine of km's central angle, raised well above any rounding error.
func havAbove(km float64) float64 {
	half := km / (2 * earthRadiusKm)
	if half >= math.Pi/2 {
		return math.Inf(1)
	}
	s := math.Sin(half)
	return s * s * (1 + 1e-9)
}

// hav is the haversine of an angle in radians: sin²(x/2).
func hav(x float64) float64 {
	s := math.Sin(x / 2)
	return s * s
}
