package assign_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

// origin is the customer of the rule tests.
var origin = domain.Location{Lat: 37.5, Lon: 127.0}

// kmPerDegree is the length of one degree of a meridian.
const kmPerDegree = 6371.0088 * 3.141592653589793 / 180

// at is a store km north of origin, open with the given free capacity.
func at(id string, km float64, free int) assign.Store {
	return assign.Store{ID: id, Location: domain.Location{Lat: origin.Lat + km/kmPerDegree, Lon: origin.Lon},
		Capacity: 10, Load: 10 - free}
}

func paused(s assign.Store) assign.Store { s.Paused = true; return s }

func TestChooseRules(t *testing.T) {
	tests := []struct {
		name       string
		stores     []assign.Store
		rejected   []string
		customer   *domain.Location // origin when nil
		want       string           // chosen store; "" when none is eligible
		considered []string         // "id" for a runner-up, "id:reason" when passed over
	}{
		{name: "no store", want: ""},
		{name: "single store", stores: []assign.Store{at("a", 3, 1)}, want: "a"},
		{name: "nearest wins beyond a near-tie", stores: []assign.Store{at("a", 1, 1), at("b", 1.6, 9)},
			want: "a", considered: []string{"b"}},
		{name: "near-tie won by free capacity", stores: []assign.Store{at("a", 1, 1), at("b", 1.4, 3)},
			want: "b", considered: []string{"a"}},
		{name: "near-ties are measured from the nearest", stores: []assign.Store{at("a", 1, 1), at("b", 1.4, 2), at("c", 1.6, 9)},
			want: "b", considered: []string{"a", "c"}},
		{name: "equal free capacity: the nearer", stores: []assign.Store{at("b", 1, 2), at("a", 1.3, 2)},
			want: "b", considered: []string{"a"}},
		{name: "same point, same free capacity: the smaller id", stores: []assign.Store{at("b", 1, 2), at("a", 1, 2), at("c", 1, 2)},
			want: "a", considered: []string{"b", "c"}},
		{name: "same point: the most free capacity", stores: []assign.Store{at("a", 1, 2), at("b", 1, 3)},
			want: "b", considered: []string{"a"}},
		{name: "passed over, nearest first", stores: []assign.Store{at("a", 5, 1), at("f", 0.3, 0), paused(at("p", 0.1, 5)), at("r", 0.2, 5)},
			rejected: []string{"r"}, want: "a", considered: []string{"p:paused", "r:rejected", "f:full"}},
		{name: "reasons: paused, then rejected, then full", stores: []assign.Store{at("a", 5, 1), paused(at("prf", 1, 0)), at("rf", 2, 0)},
			rejected: []string{"prf", "rf"}, want: "a", considered: []string{"prf:paused", "rf:rejected"}},
		{name: "only stores nearer than the chosen one are passed over",
			stores: []assign.Store{at("a", 1, 1), at("f", 1.2, 0), at("b", 1.4, 3), at("g", 1.5, 0)},
			want:   "b", considered: []string{"f:full", "a"}},
		{name: "at most MaxPassed passed over",
			stores: []assign.Store{at("a", 9, 1), at("f1", 1, 0), at("f2", 2, 0), at("f3", 3, 0), at("f4", 4, 0), at("f5", 5, 0), at("f6", 6, 0)},
			want:   "a", considered: []string{"f1:full", "f2:full", "f3:full", "f4:full", "f5:full"}},
		{name: "at most MaxRunnersUp runners-up",
			stores: []assign.Store{at("a", 1, 1), at("b", 2, 1), at("c", 3, 1), at("d", 4, 1), at("e", 5, 1)},
			want:   "a", considered: []string{"b", "c", "d"}},
		{name: "all full", stores: []assign.Store{at("a", 1, 0), at("b", 2, 0)}, want: ""},
		{name: "all paused", stores: []assign.Store{paused(at("a", 1, 1)), paused(at("b", 2, 4))}, want: ""},
		{name: "all rejected", stores: []assign.Store{at("a", 1, 1), at("b", 2, 4)}, rejected: []string{"a", "b"}, want: ""},
		{name: "overloaded counts as full", stores: []assign.Store{at("a", 1, -3), at("b", 2, 1)},
			want: "b", considered: []string{"a:full"}},
		{name: "invalid customer", stores: []assign.Store{at("a", 1, 1)}, customer: &domain.Location{Lat: 91}, want: ""},
		{name: "store without a valid location is never weighed",
			stores: []assign.Store{{ID: "x", Location: domain.Location{Lat: 37.5, Lon: 200}, Capacity: 5}, at("a", 1, 1)},
			want:   "a"},
		{name: "across the antimeridian", customer: &domain.Location{Lat: 0, Lon: 179.99},
			stores: []assign.Store{{ID: "east", Location: domain.Location{Lat: 0, Lon: -179.99}, Capacity: 1},
				{ID: "west", Location: domain.Location{Lat: 0, Lon: 179.96}, Capacity: 1}},
			want: "east", considered: []string{"west"}},
		{name: "across the pole", customer: &domain.Location{Lat: 89.99, Lon: 0},
			stores: []assign.Store{{ID: "far-side", Location: domain.Location{Lat: 89.99, Lon: 180}, Capacity: 1},
				{ID: "same-side", Location: domain.Location{Lat: 89.9, Lon: 0}, Capacity: 1}},
			want: "far-side", considered: []string{"same-side"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			customer := origin
			if tt.customer != nil {
				customer = *tt.customer
			}
			var rejected func(string) bool
			if tt.rejected != nil {
				rejected = func(id string) bool { return slices.Contains(tt.rejected, id) }
			}
			d := directoryOf(tt.stores)
			got, ok := d.Choose(customer, rejected)
			if ok != (tt.want != "") || got.StoreID != tt.want {
				t.Fatalf("Choose = %q, %v; want %q", got.StoreID, ok, tt.want)
			}
			var considered []string
			for _, c := range got.Considered {
				if c.PassedOver != "" {
					considered = append(considered, c.StoreID+":"+c.PassedOver)
				} else {
					considered = append(considered, c.StoreID)
				}
			}
			if !reflect.DeepEqual(considered, tt.considered) {
				t.Errorf("Considered = %q, want %q", considered, tt.considered)
			}
			want, wantOK := assign.BruteForce(tt.stores, customer, rejected)
			if ok != wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("Choose = %+v, BruteForce = %+v", got, want)
			}
		})
	}
}
