package load

import (
	"sync"
	"time"
)

// schedule hands out the intended send times of an open-loop run. Times are
// offsets from the start of the run: index i is due at i/rate.
type schedule struct {
	rate       float64
	from, end  time.Duration // the measured window is [from, end)
	first      int64         // first index of the measured window
	maxBacklog int64

	mu      sync.Mutex
	next    int64 // next index to hand out
	notSent int64 // measured indices skipped, read after all workers stop
}

// newSchedule returns a schedule at rate per second over [0, end), where
// [from, end) is measured and at most maxBacklog overdue indices are kept.
func newSchedule(rate float64, from, end time.Duration, maxBacklog int64) *schedule {
	s := &schedule{rate: rate, from: from, end: end, maxBacklog: max(maxBacklog, 1)}
	s.first = s.firstAt(from)
	return s
}

// offset returns when index i is due.
func (s *schedule) offset(i int64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / s.rate)
}

// firstAt returns the smallest index due at or after d.
func (s *schedule) firstAt(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	i := int64(d.Seconds() * s.rate)
	for i > 0 && s.offset(i-1) >= d {
		i--
	}
	for s.offset(i) < d {
		i++
	}
	return i
}

// claim returns the next index to send, given the time now since the start
// of the run, and false once the run is over. Overdue indices beyond the
// backlog cap are skipped, oldest first.
func (s *schedule) claim(now time.Duration) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now >= s.end {
		s.skipTo(s.firstAt(s.end))
		return 0, false
	}
	if due := s.firstAt(now + 1); due-s.next > s.maxBacklog {
		s.skipTo(due - s.maxBacklog)
	}
	i := s.next
	if s.offset(i) >= s.end {
		return 0, false
	}
	s.next++
	return i, true
}

// skipTo drops the indices in [next, n), counting the measured ones.
func (s *schedule) skipTo(n int64) {
	if n <= s.next {
		return
	}
	if lo := max(s.next, s.first); n > lo {
		s.notSent += n - lo
	}
	s.next = n
}
