package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a JetStream cluster of servers in the test's process, each
// configured by nats.conf with its own name, ports and store.
type Cluster struct {
	Servers []*Server
}

// StartCluster starts an n-node JetStream cluster and waits until its meta
// leader sees every node online with JetStream and every node is current,
// so replicated streams can be placed at once.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort(t)
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	c := &Cluster{}
	for i := range n {
		opts := baseOptions(t)
		opts.ServerName = fmt.Sprintf("tshop-%d", i+1)
		opts.Cluster = server.ClusterOpts{Name: "tshop", Host: "127.0.0.1", Port: ports[i]}
		opts.Routes = routes
		s := &Server{t: t, opts: opts}
		c.Servers = append(c.Servers, s)
	}
	// Start all at once: each waits for its routes.
	for _, s := range c.Servers {
		srv, err := server.NewServer(s.opts)
		if err != nil {
			t.Fatalf("new nats server: %v", err)
		}
		go srv.Start()
		s.srv = srv
		t.Cleanup(s.Stop)
	}
	for _, s := range c.Servers {
		if !s.srv.ReadyForConnections(20 * time.Second) {
			t.Fatal("cluster node not ready")
		}
		s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.ready(n) {
		if time.Now().After(deadline) {
			t.Fatal("JetStream cluster not formed after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

func (c *Cluster) ready(n int) bool {
	peers := 0
	for _, s := range c.Servers {
		if !s.srv.JetStreamIsCurrent() {
			return false
		}
		if s.srv.JetStreamIsLeader() {
			peers = len(s.srv.JetStreamClusterPeers())
		}
	}
	return peers == n
}

// URL lists every node's client URL, comma separated, as NATS_URL takes it.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
