package projections

import "sync"

// viewCacheSize bounds the aggregate views kept decoded between
// transactions: the stores and products being reserved from and the
// reservations of the last seconds, at thousands a second.
const viewCacheSize = 8192

// viewCache keeps the views the last transactions wrote, decoded, so the
// next event on the same aggregate does not read and decode its view from
// the file again: a store's view, with every reservation it holds, cost
// more to decode than the event that changes it. It holds exactly what
// the file holds for each view in it: a batch puts its views in only once
// its transaction committed, and anything that may leave the two apart
// (a failed transaction, a swapped file) empties it.
type viewCache struct {
	mu    sync.Mutex
	views map[viewKey]any
	// order is the keys in the order they were first put, oldest at
	// next; full, the oldest goes first.
	order []viewKey
	next  int
}

func newViewCache() *viewCache {
	return &viewCache{views: make(map[viewKey]any)}
}

func (c *viewCache) get(k viewKey) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.views[k]
	return v, ok
}

// put records the views of a committed batch.
func (c *viewCache) put(views map[viewKey]*pending) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range views {
		if _, ok := c.views[k]; !ok {
			if len(c.order) < viewCacheSize {
				c.order = append(c.order, k)
			} else {
				delete(c.views, c.order[c.next])
				c.order[c.next] = k
				c.next = (c.next + 1) % viewCacheSize
			}
		}
		c.views[k] = p.view
	}
}

// clear forgets every view.
func (c *viewCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.views)
	c.order, c.next = c.order[:0], 0
}
