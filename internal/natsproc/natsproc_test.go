package natsproc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/internal/natsauth"
	"github.com/tshop/tshop/internal/natsproc"
	"github.com/tshop/tshop/internal/proctest"
)

// natsBin is nats-server as go.mod pins it, built once for these tests.
var natsBin string

func TestMain(m *testing.M) {
	proctest.Main(m, "nats-server", "github.com/nats-io/nats-server/v2", &natsBin)
}

const root = "../.."

func start(t *testing.T, cfg natsproc.Config) *natsproc.Cluster {
	t.Helper()
	cfg.Bin = natsBin
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, err := natsproc.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func connect(t *testing.T, c *natsproc.Cluster) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := c.Connect("natsproc-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// retry runs fn until it succeeds or 30 seconds pass: a cluster that lost a
// node answers again once it has elected new leaders.
func retry(t *testing.T, what string, fn func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := fn(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func publish(t *testing.T, js jetstream.JetStream, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		retry(t, "publish", func(ctx context.Context) error {
			_, err := js.Publish(ctx, fmt.Sprintf("t.%d", i), []byte("x"), jetstream.WithMsgID(fmt.Sprint(i)))
			return err
		})
	}
}

func messages(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	var n uint64
	retry(t, "stream info", func(ctx context.Context) error {
		s, err := js.Stream(ctx, "T")
		if err != nil {
			return err
		}
		n = s.CachedInfo().State.Msgs
		return nil
	})
	return n
}

// The rewritten configuration differs from the checked-in one only in its
// ports, its store directory and, when asked, its sync interval.
func TestRewriteChangesOnlyPortsAndStore(t *testing.T) {
	dir := t.TempDir()
	c := start(t, natsproc.Config{Confs: natsproc.SingleConfs(root), Dir: dir, SyncInterval: "always"})
	orig, err := os.ReadFile(filepath.Join(root, "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(c.Servers[0].ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(string(orig), "\n"), strings.Split(string(got), "\n")
	if len(a) != len(b) {
		t.Fatalf("line count %d, was %d:\n%s", len(b), len(a), got)
	}
	allowed := regexp.MustCompile(`^(listen:|http:|\s*store_dir:|\s*sync_interval: always$|include "nats-auth.conf"$)`)
	for i := range a {
		if a[i] != b[i] && !allowed.MatchString(b[i]) {
			t.Errorf("line %d changed: %q → %q", i+1, a[i], b[i])
		}
	}
	if !strings.Contains(string(got), c.Servers[0].StoreDir()) {
		t.Errorf("store dir %s not in the config", c.Servers[0].StoreDir())
	}
}

// A single server killed with SIGKILL comes back on the same port with the
// same store, and a client that reconnects finds what was acked.
func TestSingleServerKillRestart(t *testing.T) {
	c := start(t, natsproc.Config{Confs: natsproc.SingleConfs(root)})
	s := c.Servers[0]
	url := s.URL()
	nc, js := connect(t, c)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	publish(t, js, 0, 100)
	pid := s.Process().Pid()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("still running after SIGKILL")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitHealthy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url || s.Process().Pid() == pid {
		t.Fatalf("after restart: url %s (was %s), pid %d (was %d)", s.URL(), url, s.Process().Pid(), pid)
	}
	if n := messages(t, js); n != 100 {
		t.Fatalf("%d messages after kill and restart, want 100", n)
	}
	if !nc.IsConnected() {
		// It reconnects on its own; give it the moment it needs.
		retry(t, "reconnect", func(context.Context) error {
			if !nc.IsConnected() {
				return errors.New("not connected")
			}
			return nil
		})
	}
}

// A 3-node cluster from cluster/nats-N.conf: an R3 stream keeps taking
// writes with its leader killed, and the leader, restarted on its ports
// and store, catches up.
func TestClusterKillLeader(t *testing.T) {
	c := start(t, natsproc.Config{Confs: natsproc.ClusterConfs(root)})
	if len(c.Servers) != 3 || c.Servers[0].Name() != "tshop-1" {
		t.Fatalf("servers %v", c.Servers)
	}
	nc, js := connect(t, c)
	retry(t, "create R3 stream", func(ctx context.Context) error {
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage, Replicas: 3})
		return err
	})
	publish(t, js, 0, 50)
	var leader *natsproc.Server
	retry(t, "leader", func(ctx context.Context) (err error) {
		leader, err = c.Leader(ctx, nc, "T")
		return err
	})
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	publish(t, js, 50, 100)
	var next *natsproc.Server
	retry(t, "new leader", func(ctx context.Context) (err error) {
		next, err = c.Leader(ctx, nc, "T")
		return err
	})
	if next == leader {
		t.Fatalf("%s still leads after it was killed", leader.Name())
	}
	if err := leader.Restart(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.WaitReady(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := messages(t, js); n != 100 {
		t.Fatalf("%d messages, want 100", n)
	}
}

// The shipped configuration includes the users' file: it is copied beside
// the rewritten one, and the servers get each user's password, so each
// role logs in with the run's password and a wrong one is refused.
func TestCredentialsReachTheServer(t *testing.T) {
	c := start(t, natsproc.Config{Confs: natsproc.SingleConfs(root)})
	checkLogins(t, c)
	env := strings.Join(c.Credentials.ClientEnv(natsauth.API), "\n")
	if !strings.Contains(env, "NATS_USER=api\n") || !strings.Contains(env, "NATS_PASSWORD="+c.Credentials[natsauth.API]) {
		t.Errorf("client environment lacks the api's user and password")
	}
}

// The cluster's nodes include the same users' file, by the include their
// configurations name (here switched on in a copy, as it is once wired).
func TestClusterCredentials(t *testing.T) {
	src := t.TempDir()
	if err := os.Mkdir(filepath.Join(src, "cluster"), 0o755); err != nil {
		t.Fatal(err)
	}
	auth, err := os.ReadFile(filepath.Join(root, "nats-auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "nats-auth.conf"), auth, 0o600); err != nil {
		t.Fatal(err)
	}
	commented := regexp.MustCompile(`(?m)^#\s*(include "\.\./nats-auth\.conf")\s*$`)
	for i, conf := range natsproc.ClusterConfs(root) {
		data, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		data = commented.ReplaceAll(data, []byte("$1"))
		if !strings.Contains(string(data), "\ninclude \"../nats-auth.conf\"") {
			t.Fatalf("%s: no include of ../nats-auth.conf, commented or not", conf)
		}
		if err := os.WriteFile(natsproc.ClusterConfs(src)[i], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c := start(t, natsproc.Config{Confs: natsproc.ClusterConfs(src)})
	checkLogins(t, c)
}

func checkLogins(t *testing.T, c *natsproc.Cluster) {
	t.Helper()
	for _, role := range natsauth.Roles() {
		nc, err := nats.Connect(c.URL(), c.Credentials.User(role))
		if err != nil {
			t.Errorf("%s: %v", role, err)
			continue
		}
		nc.Close()
	}
	if nc, err := nats.Connect(c.URL(), nats.UserInfo(string(natsauth.Ops), "wrong")); err == nil {
		nc.Close()
		t.Fatal("a wrong password was accepted")
	}
}

// Every shipped configuration syncs every 2 minutes, as its comment says.
// Unquoted, "2m" is read as the number 2,000,000 (a size suffix) and taken
// as seconds: 23 days.
func TestShippedSyncInterval(t *testing.T) {
	for _, r := range natsauth.Roles() {
		t.Setenv(r.PasswordEnv(), natsauth.NewPassword())
	}
	for _, conf := range append(natsproc.SingleConfs(root), natsproc.ClusterConfs(root)...) {
		opts, err := server.ProcessConfigFile(conf)
		if err != nil {
			t.Fatalf("%s: %v", conf, err)
		}
		if opts.SyncInterval != 2*time.Minute || opts.SyncAlways {
			t.Errorf("%s: sync interval %s (always %v), want 2m", conf, opts.SyncInterval, opts.SyncAlways)
		}
	}
}

// Profile gives the server a pprof port of its own.
func TestProfilePort(t *testing.T) {
	c := start(t, natsproc.Config{Confs: natsproc.SingleConfs(root), Profile: true})
	port := c.Servers[0].ProfPort()
	if port == 0 {
		t.Fatal("no prof port")
	}
	retry(t, "pprof", func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", port), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return errors.New(res.Status)
		}
		return nil
	})
}
