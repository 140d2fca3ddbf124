// Package natstest starts real NATS servers with JetStream for tests: the
// project's own nats.conf, users and permissions included, with only the
// port and the store directory changed, in the test's process.
//
// Every user of nats-auth.conf has a fixed password in tests. Connect logs
// in as ops; User, RoleEnv and RoleFlags log a connection, a child process
// or a Main in as one process role, so each process under test runs with
// the permissions it ships with.
package natstest

import (
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/internal/natsauth"
)

// Role is a NATS user of nats-auth.conf.
type Role = natsauth.Role

// The users of nats-auth.conf.
const (
	API       = natsauth.API
	Projector = natsauth.Projector
	Assigner  = natsauth.Assigner
	Notifier  = natsauth.Notifier
	Ops       = natsauth.Ops
)

// Password is the role's password on every test server.
func Password(r Role) string { return "test" + string(r) + "Password" }

// User logs a connection in as the role.
func User(r Role) nats.Option { return nats.UserInfo(string(r), Password(r)) }

// RoleEnv is the environment that logs a Tshop process in as the role
// (NATS_USER, NATS_PASSWORD), to append to a child process's environment.
func RoleEnv(r Role) []string { return r.Env(Password(r)) }

// RoleFlags are the command-line flags that log a Tshop process in as the
// role, for a Main run in the test's process.
func RoleFlags(r Role) []string {
	return []string{"--nats-user", string(r), "--nats-password", Password(r)}
}

var setPasswords sync.Once

// usePasswords puts every role's test password where nats-auth.conf reads
// it, in this process's environment.
func usePasswords(t testing.TB) {
	t.Helper()
	setPasswords.Do(func() {
		for _, r := range natsauth.Roles() {
			if err := os.Setenv(r.PasswordEnv(), Password(r)); err != nil {
				t.Fatalf("set %s: %v", r.PasswordEnv(), err)
			}
		}
	})
}

// Server is an embedded NATS server that a test can stop and start again
// on the same port and store directory.
type Server struct {
	t    testing.TB
	opts *server.Options
	srv  *server.Server
}

// Start runs a NATS server configured by the repository's nats.conf on a
// free port with its store under t.TempDir(), and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, opts: baseOptions(t)}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// baseOptions is nats.conf with a free client port, no monitoring port and a
// store of the test's own.
func baseOptions(t testing.TB) *server.Options {
	t.Helper()
	usePasswords(t)
	opts, err := server.ProcessConfigFile(confPath(t))
	if err != nil {
		t.Fatalf("load nats.conf: %v", err)
	}
	opts.Port = -1
	opts.HTTPPort = 0
	opts.HTTPHost = ""
	opts.StoreDir = t.TempDir()
	opts.NoSigs = true
	opts.NoLog = true
	return opts
}

// URL is the client URL of the server.
func (s *Server) URL() string { return s.srv.ClientURL() }

// Connect opens a client connection that the test closes when it ends,
// logged in as ops unless opts name another user (User).
func (s *Server) Connect(opts ...nats.Option) *nats.Conn {
	s.t.Helper()
	nc, err := nats.Connect(s.URL(), append([]nats.Option{User(Ops)}, opts...)...)
	if err != nil {
		s.t.Fatalf("connect to nats: %v", err)
	}
	s.t.Cleanup(nc.Close)
	return nc
}

// Stop shuts the server down and waits until it has stopped.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// Restart starts the server again on the port it had (a new one the first
// time) with the same store, as a restarted NATS process would.
func (s *Server) Restart() {
	s.t.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		s.t.Fatalf("new nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatalf("nats server not ready")
	}
	s.opts.Port = srv.Addr().(*net.TCPAddr).Port
	s.srv = srv
}

// confPath finds nats.conf at the root of the module the test runs in.
func confPath(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "nats.conf")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
