package assign

import (
	"math"

	"github.com/tshop/tshop/domain"
)

// Reasons a store nearer than the chosen one was passed over. A store that
// is several at once is given the first that applies, in this order.
const (
	passedPaused   = "paused"
	passedRejected = "rejected"
	passedFull     = "full"
)

// nearestKept is how many nearest eligible stores a search must know: the
// chosen one may be any of them, and MaxRunnersUp others follow it.
const nearestKept = MaxRunnersUp + 1

// seen is a store a search weighed.
type seen struct {
	id       string
	d        float64
	free     int
	paused   bool
	rejected bool // known to have turned the reservation down
}

// before orders stores nearest first, then by ID.
func (a seen) before(b seen) bool {
	if a.d != b.d {
		return a.d < b.d
	}
	return a.id < b.id
}

// beats orders near-ties: most free capacity, then nearer, then smaller ID.
func (a seen) beats(b seen) bool {
	if a.free != b.free {
		return a.free > b.free
	}
	return a.before(b)
}

// collector gathers, from stores fed in any order, what a choice needs:
// every eligible store within NearTieKm of the nearest eligible one seen,
// the nearestKept nearest eligible stores and the MaxPassed nearest
// ineligible ones. It calls rejected only for stores that could otherwise
// be taken, or whose reason it reports.
type collector struct {
	q        point
	rejected func(string) bool
	dmin     float64 // distance to the nearest eligible store seen
	// lim is the distance within which every store must be seen for the
	// choice to be exact: the larger of the near-tie range of the nearest
	// eligible store and the distance of the last of the nearestKept
	// nearest (infinite until that many are seen). A store farther than
	// lim cannot change the choice, and lim never grows.
	lim     float64
	hLim    float64 // havAbove(lim): a store past it is not even measured
	ties    []seen  // eligible, within NearTieKm of dmin when seen
	near    [nearestKept]seen
	nNear   int
	passed  [MaxPassed]seen
	nPassed int
	count   int // stores fed
}

func (c *collector) reset(at domain.Location, rejected func(string) bool) {
	c.q, c.rejected = pointOf(at), rejected
	c.dmin, c.lim, c.hLim = math.Inf(1), math.Inf(1), math.Inf(1)
	c.ties = c.ties[:0]
	c.nNear, c.nPassed, c.count = 0, 0, 0
}

// add weighs one store.
func (c *collector) add(e *entry) {
	c.count++
	h := havBetween(c.q, e.p)
	if h > c.hLim {
		return
	}
	d := arcKm(h)
	if d > c.lim {
		return
	}
	s := seen{id: e.id, d: d, free: e.free, paused: e.paused}
	if s.paused || s.free == 0 {
		c.pass(s)
		return
	}
	if c.rejected != nil && c.rejected(s.id) {
		s.rejected = true
		c.pass(s)
		return
	}
	c.dmin = math.Min(c.dmin, d)
	if d <= c.dmin+NearTieKm {
		c.ties = append(c.ties, s)
	}
	c.nNear = insertSorted(c.near[:], c.nNear, s)
	if c.nNear == nearestKept {
		if lim := max(c.dmin+NearTieKm, c.near[nearestKept-1].d); lim != c.lim {
			c.lim, c.hLim = lim, havAbove(lim)
		}
	}
}

func (c *collector) pass(s seen) {
	c.nPassed = insertSorted(c.passed[:], c.nPassed, s)
}

// insertSorted puts s into the first n elements of list, kept in before
// order and at most len(list) long, and returns the new length.
func insertSorted(list []seen, n int, s seen) int {
	if n == len(list) {
		if !s.before(list[n-1]) {
			return n
		}
		n--
	}
	i := n
	for i > 0 && s.before(list[i-1]) {
		list[i] = list[i-1]
		i--
	}
	list[i] = s
	return n + 1
}

// choice applies the rule to what was collected.
func (c *collector) choice() (Choice, bool) {
	if c.nNear == 0 {
		return Choice{}, false
	}
	var best seen
	have := false
	for _, s := range c.ties {
		if s.d <= c.dmin+NearTieKm && (!have || s.beats(best)) {
			best, have = s, true
		}
	}
	ch := Choice{StoreID: best.id, DistanceKm: best.d}
	for _, s := range c.passed[:c.nPassed] {
		if s.d >= best.d {
			break
		}
		ch.Considered = append(ch.Considered, c.candidate(s, c.reason(s)))
	}
	runners := 0
	for _, s := range c.near[:c.nNear] {
		if s.id == best.id || runners == MaxRunnersUp {
			continue
		}
		ch.Considered = append(ch.Considered, c.candidate(s, ""))
		runners++
	}
	return ch, true
}

func (c *collector) reason(s seen) string {
	switch {
	case s.paused:
		return passedPaused
	case s.rejected || (c.rejected != nil && c.rejected(s.id)):
		return passedRejected
	default:
		return passedFull
	}
}

func (c *collector) candidate(s seen, passedOver string) domain.Candidate {
	return domain.Candidate{StoreID: s.id, DistanceKm: s.d, Free: s.free, PassedOver: passedOver}
}
