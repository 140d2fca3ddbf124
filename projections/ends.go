package projections

import (
	"context"
	"sync"

	"github.com/tshop/tshop/eventstore"
)

// logEnds remembers how far each stream of the log is known to reach, as
// ServiceConfig.End reported it, so that queries waiting for the read
// model ask the log at most once at a time per stream and share what it
// said.
type logEnds struct {
	end func(ctx context.Context, k eventstore.Kind) (uint64, error)

	mu       sync.Mutex
	known    map[eventstore.Kind]uint64
	fetching map[eventstore.Kind]bool
}

func newLogEnds(end func(ctx context.Context, k eventstore.Kind) (uint64, error)) *logEnds {
	return &logEnds{end: end, known: map[eventstore.Kind]uint64{}, fetching: map[eventstore.Kind]bool{}}
}

// past reports whether seq lies past the end of k's stream. checked is
// false when another query is asking the log right now: the caller waits a
// moment and asks again, to share the answer. A failure to ask counts as
// not past, checked: the query then just waits.
func (l *logEnds) past(ctx context.Context, k eventstore.Kind, seq uint64) (past, checked bool) {
	l.mu.Lock()
	if seq <= l.known[k] {
		l.mu.Unlock()
		return false, true
	}
	if l.fetching[k] {
		l.mu.Unlock()
		return false, false
	}
	l.fetching[k] = true
	l.mu.Unlock()

	end, err := l.end(ctx, k)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.fetching[k] = false
	if err != nil {
		return false, true
	}
	l.known[k] = max(l.known[k], end)
	return seq > l.known[k], true
}
