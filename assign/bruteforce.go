package assign

import (
	"cmp"
	"slices"

	"github.com/tshop/tshop/domain"
)

// BruteForce is Choose by scanning every store: the reference the index is
// tested and benchmarked against. Same rules, same result, provided store
// IDs are unique; stores whose location is not valid are left out, as
// Directory leaves them out of its index.
func BruteForce(stores []Store, at domain.Location, rejected func(string) bool) (Choice, bool) {
	if at.Validate() != nil {
		return Choice{}, false
	}
	type weighed struct {
		s      Store
		d      float64
		reason string
	}
	var all []weighed
	for _, s := range stores {
		if s.Location.Validate() != nil {
			continue
		}
		w := weighed{s: s, d: DistanceKm(at, s.Location)}
		switch {
		case s.Paused:
			w.reason = passedPaused
		case rejected != nil && rejected(s.ID):
			w.reason = passedRejected
		case s.Free() == 0:
			w.reason = passedFull
		}
		all = append(all, w)
	}
	slices.SortFunc(all, func(a, b weighed) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.s.ID, b.s.ID))
	})
	best, nearest := -1, 0.0
	for i, w := range all {
		if w.reason != "" {
			continue
		}
		if best < 0 {
			best, nearest = i, w.d
			continue
		}
		if w.d > nearest+NearTieKm {
			break
		}
		if w.s.Free() > all[best].s.Free() {
			best = i // all is sorted, so on equal Free the earlier wins
		}
	}
	if best < 0 {
		return Choice{}, false
	}
	ch := Choice{StoreID: all[best].s.ID, DistanceKm: all[best].d}
	for _, w := range all[:best] {
		if w.reason != "" && w.d < all[best].d && len(ch.Considered) < MaxPassed {
			ch.Considered = append(ch.Considered, domain.Candidate{StoreID: w.s.ID, DistanceKm: w.d, Free: w.s.Free(), PassedOver: w.reason})
		}
	}
	runners := 0
	for i, w := range all {
		if i != best && w.reason == "" && runners < MaxRunnersUp {
			ch.Considered = append(ch.Considered, domain.Candidate{StoreID: w.s.ID, DistanceKm: w.d, Free: w.s.Free()})
			runners++
		}
	}
	return ch, true
}
