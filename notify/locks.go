package notify

import (
	"context"
	"sync"
	"time"
)

// keyLocks serialises, in one process, the work on each reservation: two
// workers handed messages of the same reservation take turns rather than
// racing each other on its progress row.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{}
	refs int
}

func newKeyLocks() *keyLocks { return &keyLocks{held: map[string]*keyLock{}} }

// lock takes key's lock, waiting until deadline at most; it reports false
// when ctx ended or the deadline passed first.
func (l *keyLocks) lock(ctx context.Context, key string, deadline time.Time) (unlock func(), ok bool) {
	l.mu.Lock()
	k := l.held[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.held[key] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if k.refs--; k.refs == 0 {
			delete(l.held, key)
		}
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }, true
	case <-ctx.Done():
	case <-t.C:
	}
	release()
	return nil, false
}
