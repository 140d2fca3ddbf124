package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

// relay passes the read model's change notices (projections.Change, on
// projections.ChangeSubject) to the customer-center pages that listen at
// GET /events, as server-sent events:
//
//	event: change
//	data: {"stream":"TSHOP_RESERVATIONS","seq":42,"checkpoints":{…},"reservations":["…"]}
//
// A page reads the views a notice names again with ?position=STREAM:SEQ,
// so it shows at least the state the notice describes. Besides, a page
// gets "event: ready" when it connects and "event: resync" when notices
// meant for it were dropped: both mean "read everything again", and carry
// {"positions":{STREAM:SEQ,…}}, the highest sequences relayed so far. A
// comment line every heartbeat keeps proxies from closing an idle stream.
//
// One slow page never holds up another, the api or NATS: each page has a
// bounded buffer, a notice that does not fit is dropped for that page (it
// then gets resync), and a page that accepts no bytes for writeWait is
// disconnected. At most maxClients pages listen at once; more get 503.
// Close ends every stream at once, so a graceful shutdown does not wait
// for pages that would never hang up.
type relay struct {
	log        *slog.Logger
	maxClients int
	buffer     int
	heartbeat  time.Duration
	writeWait  time.Duration

	sub *nats.Subscription

	mu      sync.Mutex
	clients map[*listener]struct{}
	// last is the highest Seq relayed per stream: every replica publishes
	// its own notices, and a lower or equal one tells nothing new.
	last      map[string]uint64
	done      chan struct{}
	closeOnce sync.Once
}

// listener is one page's stream.
type listener struct {
	frames chan []byte
	// lost says frames were dropped since the last one written.
	lost atomic.Bool
}

// relayConfig configures a relay; zero fields take the defaults.
type relayConfig struct {
	MaxClients int           // default 256
	Buffer     int           // notices waiting per page, default 64
	Heartbeat  time.Duration // default 15s
	WriteWait  time.Duration // default 10s
	Logger     *slog.Logger
}

// errTooManyListeners refuses a page beyond the relay's bound.
var errTooManyListeners = errors.New("too many pages listening for changes")

// maxNotice bounds a notice the relay decodes: a Change names at most
// projections.MaxChangeIDs ids of each kind.
const maxNotice = 64 << 10

// newRelay returns a relay fed by the notices on nc (none when nc is nil:
// then only publish feeds it).
func newRelay(nc *nats.Conn, cfg *relayConfig) (*relay, error) {
	var c relayConfig
	if cfg != nil {
		c = *cfg
	}
	if c.MaxClients <= 0 {
		c.MaxClients = 256
	}
	if c.Buffer <= 0 {
		c.Buffer = 64
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.WriteWait <= 0 {
		c.WriteWait = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	rl := &relay{log: c.Logger, maxClients: c.MaxClients, buffer: c.Buffer, heartbeat: c.Heartbeat, writeWait: c.WriteWait,
		clients: map[*listener]struct{}{}, last: map[string]uint64{}, done: make(chan struct{})}
	if nc != nil {
		sub, err := nc.Subscribe(projections.ChangeSubject, rl.receive)
		if err != nil {
			return nil, fmt.Errorf("subscribe to %s: %w", projections.ChangeSubject, err)
		}
		rl.sub = sub
	}
	return rl, nil
}

// receive relays one notice from NATS, once per change.
func (rl *relay) receive(msg *nats.Msg) {
	if len(msg.Data) > maxNotice {
		return
	}
	var c projections.Change
	if err := json.Unmarshal(msg.Data, &c); err != nil || !validChange(c) {
		rl.log.Debug("passed over a change notice that is not valid", "subject", msg.Subject)
		return
	}
	rl.mu.Lock()
	fresh := c.Seq > rl.last[c.Stream]
	if fresh {
		rl.last[c.Stream] = c.Seq
	}
	rl.mu.Unlock()
	if !fresh {
		return
	}
	data, err := json.Marshal(c)
	if err != nil {
		return
	}
	rl.publish(sseFrame("change", data))
}

// validChange checks what a page will trust of a notice: a known stream
// and ids that could name aggregates.
func validChange(c projections.Change) bool {
	if !knownStream(c.Stream) || c.Seq == 0 || len(c.Checkpoints) > len(eventstore.Kinds()) {
		return false
	}
	for stream := range c.Checkpoints {
		if !knownStream(stream) {
			return false
		}
	}
	for _, ids := range [][]string{c.Reservations, c.Products, c.Stores} {
		if len(ids) > projections.MaxChangeIDs {
			return false
		}
		for _, id := range ids {
			if domain.ValidateID("id", id) != nil {
				return false
			}
		}
	}
	return true
}

// sseFrame is one server-sent event. data is JSON, on one line.
func sseFrame(event string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("event: ")
	b.WriteString(event)
	b.WriteString("\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

// publish hands a frame to every page without waiting for any: a page
// whose buffer is full misses it and is told to resync.
func (rl *relay) publish(frame []byte) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for l := range rl.clients {
		select {
		case l.frames <- frame:
		default:
			l.lost.Store(true)
		}
	}
}

// join adds a page, unless the relay is full or closed.
func (rl *relay) join() (*listener, error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	select {
	case <-rl.done:
		return nil, fmt.Errorf("%w: the api is shutting down", errTooManyListeners)
	default:
	}
	if len(rl.clients) >= rl.maxClients {
		return nil, fmt.Errorf("%w: %d already", errTooManyListeners, rl.maxClients)
	}
	l := &listener{frames: make(chan []byte, rl.buffer)}
	rl.clients[l] = struct{}{}
	return l, nil
}

func (rl *relay) leave(l *listener) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	delete(rl.clients, l)
}

// listeners is how many pages listen now.
func (rl *relay) listeners() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.clients)
}

// Close stops listening to NATS and ends every page's stream. It returns
// at once; it is safe to call more than once.
func (rl *relay) Close() {
	rl.closeOnce.Do(func() {
		if rl.sub != nil {
			_ = rl.sub.Unsubscribe()
		}
		close(rl.done)
	})
}

var framePing = []byte(": ping\n\n")

// positionFrame is a ready or resync event: it tells the page to read
// everything again, at least at the highest sequence relayed per stream.
func (rl *relay) positionFrame(event string) []byte {
	rl.mu.Lock()
	data, _ := json.Marshal(map[string]map[string]uint64{"positions": maps.Clone(rl.last)})
	rl.mu.Unlock()
	return sseFrame(event, data)
}

// serve streams notices to one page until it hangs up, falls behind by
// writeWait, or the relay closes.
func (rl *relay) serve(w http.ResponseWriter, r *http.Request) {
	l, err := rl.join()
	if err != nil {
		w.Header().Set("Retry-After", "5")
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	defer rl.leave(l)
	rc := http.NewResponseController(w)
	// The server's read and write timeouts bound requests, not streams:
	// a page reads for as long as it likes, and every write below sets
	// its own deadline instead. A page sends nothing after its request,
	// so no read deadline is needed to free a connection that went away:
	// the write deadline does it.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy in front must not buffer the stream
	w.WriteHeader(http.StatusOK)
	write := func(frame []byte) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(rl.writeWait)); err != nil {
			return false
		}
		if _, err := w.Write(frame); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(append([]byte("retry: 3000\n"), rl.positionFrame("ready")...)) {
		return
	}
	ping := time.NewTicker(rl.heartbeat)
	defer ping.Stop()
	for {
		var frame []byte
		select {
		case <-r.Context().Done():
			return
		case <-rl.done:
			return
		case <-ping.C:
			frame = framePing
		case frame = <-l.frames:
			if l.lost.Swap(false) && !write(rl.positionFrame("resync")) {
				return
			}
		}
		if !write(frame) {
			return
		}
	}
}

// serveEvents answers GET /events: the read model's changes as they are
// committed. Only an admin may listen (anyone when the api runs open): a
// notice names reservations of every customer and store.
func (a *api) serveEvents(w http.ResponseWriter, r *http.Request) {
	if a.relay == nil {
		w.Header().Set("Retry-After", "5")
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "change notices are not relayed by this api")
		return
	}
	a.relay.serve(w, r)
}

// relayLimit is how many pages may listen at once on an api that serves
// maxInflight requests at once: each stream holds one of them.
func relayLimit(maxInflight int) int {
	return max(1, min(256, maxInflight/4))
}
