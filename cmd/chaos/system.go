package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natsauth"
	"github.com/tshop/tshop/internal/natsproc"
	"github.com/tshop/tshop/internal/osproc"
)

// sysConfig says what system to start.
type sysConfig struct {
	bin     string // directory of api, projector, assigner and nats-server
	root    string // repository root: nats.conf, cluster/
	dir     string // where configurations, data and logs go
	cluster bool   // three NATS nodes and R3 streams instead of one server
	sync    string // replaces the configured sync_interval when set
	// apis, projectors and assigners are how many of each to run.
	apis, projectors, assigners int
}

// system is NATS and the Tshop processes, each a real OS process.
type system struct {
	cfg        sysConfig
	nats       *natsproc.Cluster
	apis       []*proc
	projectors []*proc
	assigners  []*proc
	// ops is this program's own connection, as the ops user.
	ops *nats.Conn
	es  *eventstore.Store
}

// proc is a Tshop process with what the harness needs to know of it.
type proc struct {
	*osproc.Process
	url string // the api's base URL
	db  string // the projector's read model
}

func (p *proc) String() string { return p.Name() }

// replicas is the replica count of every stream.
func (s *system) replicas() int {
	if s.cfg.cluster {
		return 3
	}
	return 1
}

// startSystem starts NATS and waits until it is ready, then the apis
// (waiting for the first, which creates the streams), the projectors and
// the assigners.
func startSystem(ctx context.Context, cfg sysConfig) (*system, error) {
	s := &system{cfg: cfg}
	confs := natsproc.SingleConfs(cfg.root)
	if cfg.cluster {
		confs = natsproc.ClusterConfs(cfg.root)
	}
	var err error
	s.nats, err = natsproc.Start(ctx, natsproc.Config{Bin: filepath.Join(cfg.bin, "nats-server"), Confs: confs,
		Dir: filepath.Join(cfg.dir, "nats"), SyncInterval: cfg.sync})
	if err != nil {
		return nil, err
	}
	for i := range cfg.apis {
		port, err := freePort()
		if err != nil {
			s.stop()
			return nil, err
		}
		p, err := s.start(fmt.Sprintf("api-%d", i+1), natsauth.API, "api", "--http", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			s.stop()
			return nil, err
		}
		p.url = "http://127.0.0.1:" + strconv.Itoa(port)
		s.apis = append(s.apis, p)
		// The first creates the streams; on a busy machine placing them
		// on a cluster may take longer than the api waits at start, and
		// it exits: start it again, as a service manager would.
		for attempt := 1; ; attempt++ {
			err := waitReady(ctx, p, 60*time.Second, false)
			if err == nil {
				break
			}
			if p.Running() || attempt == 3 {
				s.stop()
				return nil, err
			}
			if err := p.Start(); err != nil {
				s.stop()
				return nil, err
			}
		}
	}
	for i := range cfg.projectors {
		db := filepath.Join(cfg.dir, fmt.Sprintf("projector-%d.db", i+1))
		p, err := s.start(fmt.Sprintf("projector-%d", i+1), natsauth.Projector, "projector", "--db", db)
		if err != nil {
			s.stop()
			return nil, err
		}
		p.db = db
		s.projectors = append(s.projectors, p)
	}
	for i := range cfg.assigners {
		p, err := s.start(fmt.Sprintf("assigner-%d", i+1), natsauth.Assigner, "assigner")
		if err != nil {
			s.stop()
			return nil, err
		}
		s.assigners = append(s.assigners, p)
	}
	if s.ops, err = s.nats.Connect("tshop-chaos"); err != nil {
		s.stop()
		return nil, err
	}
	if s.es, err = eventstore.Open(ctx, s.ops, &eventstore.Config{WaitForStreams: true, Timeout: 5 * time.Second, Logger: discardLogger()}); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// start runs bin/<command> as the NATS user role, with the NATS URLs and
// the replica count, and its output in <dir>/<name>.log.
func (s *system) start(name string, role natsauth.Role, command string, args ...string) (*proc, error) {
	args = append([]string{"--nats", s.nats.URL(), "--replicas", strconv.Itoa(s.replicas())}, args...)
	p, err := osproc.Start(osproc.Config{Name: name, Path: filepath.Join(s.cfg.bin, command), Args: args,
		Env: s.nats.Credentials.ClientEnv(role), Log: filepath.Join(s.cfg.dir, name+".log")})
	if err != nil {
		return nil, err
	}
	return &proc{Process: p}, nil
}

// procs lists every Tshop process.
func (s *system) procs() []*proc {
	var all []*proc
	all = append(all, s.apis...)
	all = append(all, s.projectors...)
	return append(all, s.assigners...)
}

// verify runs `projector verify` on a projector's read model: nil when it
// equals a fresh replay of the log, else the output that says why not.
func (s *system) verify(ctx context.Context, p *proc) error {
	log := filepath.Join(s.cfg.dir, p.Name()+"-verify.log")
	v, err := osproc.Start(osproc.Config{Name: p.Name() + " verify", Path: filepath.Join(s.cfg.bin, "projector"),
		Args: []string{"verify", "--nats", s.nats.URL(), "--db", p.db},
		Env:  s.nats.Credentials.ClientEnv(natsauth.Projector), Log: log})
	if err != nil {
		return err
	}
	select {
	case <-v.Exited():
	case <-ctx.Done():
		_ = v.Kill()
		return fmt.Errorf("projector verify --db %s: %w", p.db, ctx.Err())
	}
	if err := v.Err(); err != nil {
		return fmt.Errorf("projector verify --db %s: %v:\n%s", p.db, err, v.Tail(3000))
	}
	return nil
}

// stop ends every process with SIGTERM, NATS last, and returns the
// processes that did not exit 0 in time.
func (s *system) stop() []error {
	if s.ops != nil {
		s.ops.Close()
	}
	var mu sync.Mutex
	var errs []error
	stopAll := func(ps []*proc) {
		var wg sync.WaitGroup
		for _, p := range ps {
			if !p.Running() {
				continue
			}
			wg.Go(func() {
				if err := p.Stop(30 * time.Second); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%w\n%s", err, p.Tail(1500)))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	stopAll(s.assigners)
	stopAll(s.projectors)
	stopAll(s.apis)
	if s.nats != nil {
		s.nats.Stop()
	}
	return errs
}

// waitReady waits until the api answers /readyz with 200. Unless it is
// supervised (restarted when it exits), its exit is an error at once.
func waitReady(ctx context.Context, p *proc, timeout time.Duration, supervised bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/readyz", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !supervised && !p.Running() {
			return fmt.Errorf("%s exited: %v\n%s", p.Name(), p.Err(), p.Tail(2000))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w\n%s", p.Name(), ctx.Err(), p.Tail(2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// crashed reports whether a process's log shows it died of a panic or a
// fatal runtime error rather than being killed or refusing to start.
func crashed(p *osproc.Process) bool {
	tail := p.Tail(64 << 10)
	if i := strings.LastIndex(tail, "=== "+p.Name()+": start "); i >= 0 {
		tail = tail[i:]
	}
	return strings.Contains(tail, "\npanic: ") || strings.HasPrefix(tail, "panic: ") ||
		strings.Contains(tail, "fatal error: ") || strings.Contains(tail, "DATA RACE")
}

// removeAll removes the run's directory.
func removeAll(dir string) { _ = os.RemoveAll(dir) }
