package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/internal/natsauth"
	"github.com/tshop/tshop/internal/natsproc"
)

// sysOpts says how to start the system under test.
type sysOpts struct {
	bin        string // directory of the built binaries
	conf       string // the shipped nats.conf
	syncAlways bool   // sync_interval: always instead of the shipped default
	noGroup    bool   // the api with group commit off
	profile    bool   // NATS serves pprof profiles
	projector  bool
	assigner   bool
}

func (o sysOpts) durability() string {
	if o.syncAlways {
		return "sync_interval: always"
	}
	return "sync_interval: 2m (default)"
}

// durabilityLabel names the durability setting in a file name.
func (o sysOpts) durabilityLabel() string {
	if o.syncAlways {
		return "sync-always"
	}
	return "sync-default"
}

// system is NATS, the api and optionally a projector and an assigner, each
// a real process on free ports with its data in a temporary directory. NATS
// runs with the shipped users and permissions, with passwords new for each
// run; every process logs in as its own role.
type system struct {
	dir       string
	nats      *natsproc.Cluster
	natsURL   string
	passwords natsproc.Credentials
	apiURL    string
	procs     map[string]*exec.Cmd
	logs      map[string]*os.File
	opts      sysOpts
	profPort  int // NATS's pprof port, when profiling
}

func startSystem(ctx context.Context, o sysOpts) (*system, error) {
	dir, err := os.MkdirTemp("", "tshop-bench")
	if err != nil {
		return nil, err
	}
	s := &system{dir: dir, procs: map[string]*exec.Cmd{}, logs: map[string]*os.File{}, opts: o, passwords: natsproc.NewCredentials()}
	if err := s.startNATS(ctx); err != nil {
		s.stop()
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		s.stop()
		return nil, err
	}
	s.apiURL = fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	args := []string{"--nats", s.natsURL, "--http", fmt.Sprintf("127.0.0.1:%d", apiPort)}
	if o.noGroup {
		args = append(args, "--group-commit=false")
	}
	ops := []string{"--ops-addr", "127.0.0.1:0"}
	args = append(args, ops...)
	if err := s.start("api", s.roleEnv(natsauth.API), filepath.Join(o.bin, "api"), args...); err != nil {
		s.stop()
		return nil, err
	}
	if err := waitHTTP(ctx, s.apiURL+"/readyz"); err != nil {
		s.stop()
		return nil, fmt.Errorf("api not ready: %w (log %s)", err, s.logs["api"].Name())
	}
	if o.projector {
		if err := s.start("projector", s.roleEnv(natsauth.Projector), filepath.Join(o.bin, "projector"), append([]string{"--nats", s.natsURL, "--db", filepath.Join(dir, "projector.db")}, ops...)...); err != nil {
			s.stop()
			return nil, err
		}
	}
	if o.assigner {
		if err := s.start("assigner", s.roleEnv(natsauth.Assigner), filepath.Join(o.bin, "assigner"), append([]string{"--nats", s.natsURL}, ops...)...); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

// startNATS runs nats-server with the shipped nats.conf, changing only the
// ports, the store directory and, when asked, the sync interval, and the
// users' file it includes, with this run's passwords.
func (s *system) startNATS(ctx context.Context) error {
	sync := ""
	if s.opts.syncAlways {
		sync = "always"
	}
	c, err := natsproc.Start(ctx, natsproc.Config{Bin: filepath.Join(s.opts.bin, "nats-server"), Confs: []string{s.opts.conf},
		Dir: filepath.Join(s.dir, "nats"), SyncInterval: sync, Credentials: s.passwords, Profile: s.opts.profile})
	if err != nil {
		return err
	}
	s.nats, s.natsURL, s.profPort = c, c.URL(), c.Servers[0].ProfPort()
	return nil
}

// start runs a process with env added to this one's environment.
func (s *system) start(name string, env []string, bin string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.procs[name], s.logs[name] = cmd, log
	return nil
}

// roleEnv is the environment that logs a Tshop process in as the role.
func (s *system) roleEnv(r natsauth.Role) []string { return r.Env(s.passwords[r]) }

// connect opens a connection of the benchmark's own, as ops.
func (s *system) connect() (*nats.Conn, error) {
	return nats.Connect(s.natsURL, nats.UserInfo(string(natsauth.Ops), s.passwords[natsauth.Ops]))
}

// rss is a process's resident memory in bytes (VmRSS), and the part of it
// that is anonymous memory rather than mapped files (RssAnon).
func (s *system) rss(name string) (rss, anon int64, err error) {
	var pid int
	switch cmd := s.procs[name]; {
	case cmd != nil:
		pid = cmd.Process.Pid
	case name == "nats" && s.nats != nil:
		pid = s.nats.Servers[0].Process().Pid()
	default:
		return 0, 0, fmt.Errorf("no process %s", name)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	kb := func(rest string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		return n << 10
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			rss = kb(rest)
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			anon = kb(rest)
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS for %s", name)
	}
	return rss, anon, nil
}

// stop ends every process with SIGTERM, NATS last, and removes the data.
func (s *system) stop() {
	for _, name := range []string{"assigner", "projector", "api", "ceiling"} {
		cmd := s.procs[name]
		if cmd == nil {
			continue
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		s.logs[name].Close()
	}
	if s.nats != nil {
		s.nats.Stop()
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready in 30s", url)
}
