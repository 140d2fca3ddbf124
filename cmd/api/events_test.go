package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/projections"
)

// sseEvent is one server-sent event as a page reads it; a comment line
// (a heartbeat) is an event named ":".
type sseEvent struct {
	name string
	data string
}

// sseStream is one page's stream of events.
type sseStream struct {
	res    *http.Response
	events chan sseEvent // closed when the stream ends
}

// openStream opens GET url as a page would and reads its events until the
// stream ends. A status other than 200 is returned with no reader.
func openStream(t *testing.T, url string, header ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	s := &sseStream{res: res, events: make(chan sseEvent, 1<<16)}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		close(s.events)
		return s
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.events <- sseEvent{name: ":"}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

// next returns the next event other than a heartbeat, failing the test if
// none comes within timeout.
func (s *sseStream) next(t *testing.T, timeout time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.name != ":" {
				return ev
			}
		case <-deadline:
			t.Fatalf("no event within %s", timeout)
		}
	}
}

// ended waits until the stream has ended, failing the test if it does not
// within timeout.
func (s *sseStream) ended(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("the stream did not end within %s", timeout)
		}
	}
}

// relayServer serves a relay's stream at / on a server of its own, with
// tight timeouts like the api's, and with every connection's send buffer
// made small, so a page that reads nothing fills it quickly.
func relayServer(t *testing.T, rl *relay) (url string, srv *http.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv = &http.Server{
		Handler:           http.HandlerFunc(rl.serve),
		ReadHeaderTimeout: 200 * time.Millisecond,
		ReadTimeout:       300 * time.Millisecond,
		WriteTimeout:      300 * time.Millisecond,
	}
	srv.RegisterOnShutdown(rl.Close)
	go srv.Serve(smallBuffers{ln})
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/", srv
}

type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

func testRelay(t *testing.T, cfg relayConfig) *relay {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	rl, err := newRelay(nil, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rl.Close)
	return rl
}

// notice is a change notice as a projector publishes it.
func notice(t *testing.T, c projections.Change) *nats.Msg {
	t.Helper()
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return &nats.Msg{Subject: projections.ChangeSubject, Data: data}
}

// bigNotice names MaxChangeIDs reservations: about 2.5 KB.
func bigNotice(seq uint64) *nats.Msg {
	c := projections.Change{Stream: "TSHOP_RESERVATIONS", Seq: seq, Checkpoints: map[string]uint64{"TSHOP_RESERVATIONS": seq}}
	for i := range projections.MaxChangeIDs {
		c.Reservations = append(c.Reservations, fmt.Sprintf("0190a6b2-7c3d-7e4f-8a5b-%012d", i))
	}
	data, _ := json.Marshal(c)
	return &nats.Msg{Subject: projections.ChangeSubject, Data: data}
}

func TestRelayPassesFreshValidNotices(t *testing.T) {
	rl := testRelay(t, relayConfig{Heartbeat: 50 * time.Millisecond})
	url, _ := relayServer(t, rl)
	page := openStream(t, url)
	if ev := page.next(t, 5*time.Second); ev.name != "ready" || ev.data != `{"positions":{}}` {
		t.Fatalf("first event %+v, want ready with no positions", ev)
	}
	res := "0190a6b2-7c3d-7e4f-8a5b-000000000001"
	for _, m := range []*nats.Msg{
		{Data: []byte("not json")},
		{Data: []byte(`{"stream":"TSHOP_ELSEWHERE","seq":1}`)},
		{Data: []byte(`{"stream":"TSHOP_RESERVATIONS","seq":0}`)},
		{Data: []byte(`{"stream":"TSHOP_RESERVATIONS","seq":1,"reservations":["<script>"]}`)},
		{Data: []byte(`{"stream":"TSHOP_RESERVATIONS","seq":1,"checkpoints":{"TSHOP_X":1}}`)},
		{Data: []byte(`{"stream":"TSHOP_RESERVATIONS","seq":1,"reservations":["` + strings.Repeat("a", 100) + `"]}`)},
		notice(t, projections.Change{Stream: "TSHOP_RESERVATIONS", Seq: 7, Reservations: []string{res}}),
		// Another replica's notices for what was relayed already.
		notice(t, projections.Change{Stream: "TSHOP_RESERVATIONS", Seq: 7, Reservations: []string{res}}),
		notice(t, projections.Change{Stream: "TSHOP_RESERVATIONS", Seq: 5, Reservations: []string{res}}),
		notice(t, projections.Change{Stream: "TSHOP_PRODUCTS", Seq: 3, Products: []string{"galaxy-s26-256"}, Truncated: true}),
	} {
		rl.receive(m)
	}
	for _, want := range []string{
		`{"stream":"TSHOP_RESERVATIONS","seq":7,"checkpoints":null,"reservations":["` + res + `"]}`,
		`{"stream":"TSHOP_PRODUCTS","seq":3,"checkpoints":null,"products":["galaxy-s26-256"],"truncated":true}`,
	} {
		if ev := page.next(t, 5*time.Second); ev.name != "change" || ev.data != want {
			t.Fatalf("got %+v, want change %s", ev, want)
		}
	}
	// Heartbeats keep coming while nothing changes.
	beats := 0
	for deadline := time.After(5 * time.Second); beats < 3; {
		select {
		case ev := <-page.events:
			if ev.name != ":" {
				t.Fatalf("unexpected event %+v", ev)
			}
			beats++
		case <-deadline:
			t.Fatalf("%d heartbeats in 5s", beats)
		}
	}
	// A page that connects now is told where the notices are.
	late := openStream(t, url)
	if ev := late.next(t, 5*time.Second); ev.name != "ready" || ev.data != `{"positions":{"TSHOP_PRODUCTS":3,"TSHOP_RESERVATIONS":7}}` {
		t.Fatalf("ready %+v", ev)
	}
}

// A page that reads nothing holds up neither the notices nor the other
// pages: it misses what does not fit its buffer, and once its connection
// accepts nothing for WriteWait it is let go. A page that reads, even if
// it misses notices in a burst, always learns the latest position.
func TestRelaySlowPageDoesNotBlock(t *testing.T) {
	rl := testRelay(t, relayConfig{Buffer: 4, WriteWait: 300 * time.Millisecond, Heartbeat: time.Hour})
	url, _ := relayServer(t, rl)

	slow, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, "/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_ = slow.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := io.WriteString(slow, "GET / HTTP/1.1\r\nHost: tshop\r\nAccept: text/event-stream\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	fast := openStream(t, url)
	fast.next(t, 5*time.Second)
	eventually(t, 5*time.Second, func() bool { return rl.listeners() == 2 })

	// Publish until the slow page is let go; publishing must never wait
	// for it.
	published := make(chan uint64)
	go func() {
		seq := uint64(0)
		for rl.listeners() == 2 && seq < 200_000 {
			for range 100 {
				seq++
				rl.receive(bigNotice(seq))
			}
			time.Sleep(time.Millisecond)
		}
		published <- seq
	}()
	var last uint64
	select {
	case last = <-published:
	case <-time.After(60 * time.Second):
		t.Fatal("publishing blocked, or the page that reads nothing was never let go")
	}
	if rl.listeners() != 1 {
		t.Fatalf("%d pages listening after %d notices, want the slow one let go", rl.listeners(), last)
	}

	// The reading page catches up: it gets the last notice, or a resync
	// that names its position.
	resyncs := 0
	for {
		ev := fast.next(t, 10*time.Second)
		if ev.name == "resync" {
			resyncs++
			var r struct{ Positions map[string]uint64 }
			if err := json.Unmarshal([]byte(ev.data), &r); err != nil {
				t.Fatal(err)
			}
			if r.Positions["TSHOP_RESERVATIONS"] == last {
				break
			}
			continue
		}
		var c projections.Change
		if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
		if c.Seq == last {
			break
		}
	}
	t.Logf("%d notices, %d resyncs for the reading page", last, resyncs)
}

func TestRelayLimitsPages(t *testing.T) {
	rl := testRelay(t, relayConfig{MaxClients: 2})
	url, _ := relayServer(t, rl)
	first, second := openStream(t, url), openStream(t, url)
	first.next(t, 5*time.Second)
	second.next(t, 5*time.Second)

	third := openStream(t, url)
	if third.res.StatusCode != http.StatusServiceUnavailable || third.res.Header.Get("Retry-After") == "" {
		t.Fatalf("third page: %d, Retry-After %q; want 503 with Retry-After", third.res.StatusCode, third.res.Header.Get("Retry-After"))
	}
	var p problem
	if err := json.NewDecoder(third.res.Body).Decode(&p); err != nil || p.Code != "unavailable" {
		t.Fatalf("third page: problem %+v, %v", p, err)
	}

	first.res.Body.Close()
	eventually(t, 5*time.Second, func() bool { return rl.listeners() == 1 })
	again := openStream(t, url)
	if again.res.StatusCode != http.StatusOK {
		t.Fatalf("a page after one left: %d", again.res.StatusCode)
	}
	again.next(t, 5*time.Second)
}

// Shutting the server down ends every stream at once: a graceful shutdown
// does not wait for pages, which never hang up by themselves.
func TestRelayEndsStreamsOnShutdown(t *testing.T) {
	rl := testRelay(t, relayConfig{Heartbeat: time.Hour})
	url, srv := relayServer(t, rl)
	var pages []*sseStream
	for range 3 {
		p := openStream(t, url)
		p.next(t, 5*time.Second)
		pages = append(pages, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v (the streams held it up)", err)
	}
	for _, p := range pages {
		p.ended(t, 5*time.Second)
	}
	if n := rl.listeners(); n != 0 {
		t.Fatalf("%d pages still listening", n)
	}
	if _, err := rl.join(); err == nil {
		t.Fatal("a page joined a closed relay")
	}
}

// The server's read and write timeouts bound requests, not streams.
func TestRelayStreamOutlivesServerTimeouts(t *testing.T) {
	rl := testRelay(t, relayConfig{Heartbeat: 100 * time.Millisecond})
	url, _ := relayServer(t, rl) // read and write timeouts of 300ms
	page := openStream(t, url)
	page.next(t, 5*time.Second)
	time.Sleep(time.Second)
	rl.receive(notice(t, projections.Change{Stream: "TSHOP_STORES", Seq: 1, Stores: []string{"gangnam-01"}}))
	if ev := page.next(t, 5*time.Second); ev.name != "change" {
		t.Fatalf("after the timeouts: %+v", ev)
	}
}
