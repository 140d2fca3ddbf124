// Package natsproc runs real nats-server processes, one server or the nodes
// of a JetStream cluster, from the project's checked-in configurations
// (nats.conf, cluster/nats-N.conf) with only their ports and store
// directories changed, so the configuration that ships is the one tested.
// Each server can be killed with SIGKILL and started again on the same
// ports and the same store, as a crashed and restarted server would be.
//
// Every server gets the run's Credentials in its environment; clients of
// the run connect as the user of their role.
package natsproc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/internal/natsauth"
	"github.com/tshop/tshop/internal/osproc"
)

// Config says which servers to start and where.
type Config struct {
	// Bin is the nats-server binary.
	Bin string
	// Confs are the checked-in configurations, one per server: nats.conf
	// for a single server, cluster/nats-1.conf… for a cluster.
	Confs []string
	// Dir holds each server's rewritten configuration, store and log, in
	// a directory named after the server.
	Dir string
	// SyncInterval, when set, replaces the configured sync_interval, for
	// example "always".
	SyncInterval string
	// Credentials go to every server in its environment; nil means new
	// random ones.
	Credentials Credentials
	// Profile adds a prof_port to each server, for CPU profiles
	// (Server.ProfPort).
	Profile bool
}

// Cluster is the NATS servers of one run: a single server, or the nodes of
// a JetStream cluster.
type Cluster struct {
	Servers     []*Server
	Credentials Credentials
}

// Server is one nats-server process.
type Server struct {
	conf nodeConfig
	proc *osproc.Process
}

// Start writes each configuration into cfg.Dir, starts every server and
// waits until all of them are healthy: JetStream enabled and, on a
// cluster, a meta leader that sees every node current.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if len(cfg.Confs) == 0 {
		return nil, errors.New("natsproc: no configuration")
	}
	if cfg.Credentials == nil {
		cfg.Credentials = NewCredentials()
	}
	c := &Cluster{Credentials: cfg.Credentials}
	pm := ports{}
	for _, src := range cfg.Confs {
		nc, err := rewrite(src, cfg.Dir, pm, cfg.SyncInterval, cfg.Profile)
		if err != nil {
			return nil, fmt.Errorf("natsproc: %w", err)
		}
		c.Servers = append(c.Servers, &Server{conf: nc})
	}
	for _, s := range c.Servers {
		p, err := osproc.Start(osproc.Config{Name: s.conf.name, Path: cfg.Bin, Args: []string{"-c", s.conf.path},
			Env: cfg.Credentials.ServerEnv(), Log: filepath.Join(s.conf.dir, "nats.log")})
		if err != nil {
			c.Stop()
			return nil, err
		}
		s.proc = p
	}
	if err := c.WaitReady(ctx, time.Minute); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// URL lists every server's client URL, comma separated, as --nats and
// NATS_URL take it.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// Server is the server called name, or nil.
func (c *Cluster) Server(name string) *Server {
	for _, s := range c.Servers {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// Connect opens a connection as the ops user that reconnects forever.
func (c *Cluster) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name(name), c.Credentials.User(natsauth.Ops),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond), nats.Timeout(2 * time.Second)}, opts...)
	return nats.Connect(c.URL(), opts...)
}

// WaitReady waits until every running server is healthy and, on a
// cluster, the meta leader sees every node current.
func (c *Cluster) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, s := range c.Servers {
		if err := s.WaitHealthy(ctx); err != nil {
			return err
		}
	}
	if len(c.Servers) == 1 {
		return nil
	}
	var last error
	for {
		if last = c.metaComplete(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsproc: cluster not formed: %w", last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// metaComplete is nil once some server is meta leader and sees every other
// node current.
func (c *Cluster) metaComplete(ctx context.Context) error {
	for _, s := range c.Servers {
		var jsz struct {
			Meta *struct {
				Leader   string `json:"leader"`
				Replicas []struct {
					Name    string `json:"name"`
					Current bool   `json:"current"`
					Offline bool   `json:"offline"`
				} `json:"replicas"`
			} `json:"meta_cluster"`
		}
		if err := s.monitor(ctx, "/jsz", &jsz); err != nil || jsz.Meta == nil || jsz.Meta.Leader != s.Name() {
			continue
		}
		current := 0
		for _, r := range jsz.Meta.Replicas {
			if r.Current && !r.Offline {
				current++
			}
		}
		if current != len(c.Servers)-1 {
			return fmt.Errorf("meta leader %s sees %d of %d other nodes current", s.Name(), current, len(c.Servers)-1)
		}
		return nil
	}
	return errors.New("no meta leader")
}

// MetaLeader is the server that leads the cluster's JetStream metadata
// now, as a running server's monitoring endpoint says.
func (c *Cluster) MetaLeader(ctx context.Context) (*Server, error) {
	for _, s := range c.Servers {
		if !s.Running() {
			continue
		}
		var jsz struct {
			Meta *struct {
				Leader string `json:"leader"`
			} `json:"meta_cluster"`
		}
		if err := s.monitor(ctx, "/jsz", &jsz); err != nil || jsz.Meta == nil || jsz.Meta.Leader == "" {
			continue
		}
		if l := c.Server(jsz.Meta.Leader); l != nil {
			return l, nil
		}
	}
	return nil, errors.New("no meta leader known")
}

// Leader is the server that leads stream now, asked over nc. On a single
// server it is that server.
func (c *Cluster) Leader(ctx context.Context, nc *nats.Conn, stream string) (*Server, error) {
	if len(c.Servers) == 1 {
		return c.Servers[0], nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.INFO."+stream, nil)
	if err != nil {
		return nil, fmt.Errorf("stream info %s: %w", stream, err)
	}
	var info struct {
		Cluster *struct {
			Leader string `json:"leader"`
		} `json:"cluster"`
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		return nil, fmt.Errorf("stream info %s: %w", stream, err)
	}
	if info.Error != nil {
		return nil, fmt.Errorf("stream info %s: %s", stream, info.Error.Description)
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return nil, fmt.Errorf("stream %s has no leader now", stream)
	}
	s := c.Server(info.Cluster.Leader)
	if s == nil {
		return nil, fmt.Errorf("stream %s is led by %s, not a server of this run", stream, info.Cluster.Leader)
	}
	return s, nil
}

// Stop stops every server with SIGTERM, each given 10 seconds.
func (c *Cluster) Stop() {
	for _, s := range c.Servers {
		if s.proc != nil {
			_ = s.Stop()
		}
	}
}

// Name is the server's server_name.
func (s *Server) Name() string { return s.conf.name }

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.conf.clientPort) }

// ProfPort is the port the server serves pprof profiles on, 0 unless
// Config.Profile was set.
func (s *Server) ProfPort() int { return s.conf.profPort }

// StoreDir is the server's JetStream store.
func (s *Server) StoreDir() string { return filepath.Join(s.conf.dir, "store") }

// ConfigPath is the server's rewritten configuration.
func (s *Server) ConfigPath() string { return s.conf.path }

// Process is the server's process: its pid, its log.
func (s *Server) Process() *osproc.Process { return s.proc }

// Running reports whether the server's process is alive.
func (s *Server) Running() bool { return s.proc.Running() }

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() error { return s.proc.Kill() }

// Stop ends the server with SIGTERM and waits for it.
func (s *Server) Stop() error { return s.proc.Stop(10 * time.Second) }

// Restart starts the stopped or killed server again on the same ports with
// the same store. It does not wait for it: see WaitHealthy.
func (s *Server) Restart() error { return s.proc.Start() }

// Healthy reports whether the server answers its health check: JetStream
// enabled and, on a cluster, current with its peers.
func (s *Server) Healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var h struct {
		Status string `json:"status"`
	}
	return s.monitor(ctx, "/healthz", &h) == nil && h.Status == "ok"
}

// WaitHealthy waits until the server is healthy or ctx ends.
func (s *Server) WaitHealthy(ctx context.Context) error {
	for !s.Healthy(ctx) {
		if !s.proc.Running() {
			return fmt.Errorf("natsproc: %s exited: %v\n%s", s.Name(), s.proc.Err(), s.proc.Tail(2000))
		}
		// Every failed check is a warning in the server's log: not too often.
		select {
		case <-ctx.Done():
			return fmt.Errorf("natsproc: %s not healthy: %w\n%s", s.Name(), ctx.Err(), s.proc.Tail(2000))
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// StreamState is a stream's messages and last sequence in this server's
// own store, as its monitoring endpoint reports them: on a cluster, this
// replica's copy, whether it leads or not.
func (s *Server) StreamState(ctx context.Context, stream string) (msgs, lastSeq uint64, err error) {
	var jsz struct {
		Accounts []struct {
			Streams []struct {
				Name  string `json:"name"`
				State struct {
					Msgs    uint64 `json:"messages"`
					LastSeq uint64 `json:"last_seq"`
				} `json:"state"`
			} `json:"stream_detail"`
		} `json:"account_details"`
	}
	if err := s.monitor(ctx, "/jsz?accounts=true&streams=true", &jsz); err != nil {
		return 0, 0, err
	}
	for _, a := range jsz.Accounts {
		for _, st := range a.Streams {
			if st.Name == stream {
				return st.State.Msgs, st.State.LastSeq, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%s has no stream %s", s.Name(), stream)
}

// Monitor decodes what the server's monitoring endpoint answers at path
// (such as "/varz" or "/connz") into v.
func (s *Server) Monitor(ctx context.Context, path string, v any) error {
	return s.monitor(ctx, path, v)
}

// monitor GETs a monitoring endpoint and decodes its JSON; a status other
// than 200 is an error.
func (s *Server) monitor(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", s.conf.httpPort, path), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s%s: %s", s.Name(), path, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// SingleConfs is the configuration of the single server under the
// repository root: nats.conf.
func SingleConfs(root string) []string { return []string{filepath.Join(root, "nats.conf")} }

// ClusterConfs are the configurations of the cluster's nodes under the
// repository root: cluster/nats-1.conf, nats-2.conf, nats-3.conf.
func ClusterConfs(root string) []string {
	return []string{
		filepath.Join(root, "cluster", "nats-1.conf"),
		filepath.Join(root, "cluster", "nats-2.conf"),
		filepath.Join(root, "cluster", "nats-3.conf"),
	}
}
