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
	sLat := math.Sin((b.lat - a.lat) / 2)
	sLon := math.Sin((b.lon - a.lon) / 2)
	h := float64(sLat*sLat) + float64(float64(a.cosLat*b.cosLat)*float64(sLon*sLon))
	return arcKm(h)
}

// arcKm turns a haversine value (the square of the sine of half the central
// angle) into kilometres.
func arcKm(h float64) float64 {
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(1, math.Max(0, h))))
}

// hav is the haversine of an angle in radians: sin²(x/2).
func hav(x float64) float64 {
	s := math.Sin(x / 2)
	return s * s
}
