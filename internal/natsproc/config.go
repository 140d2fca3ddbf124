package natsproc

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var (
	// hostPort is an address with a port: a listen line, a route URL.
	hostPort = regexp.MustCompile(`\b((?:\d{1,3}\.){3}\d{1,3}|localhost):(\d{2,5})\b`)
	// portLine is a port given alone: port: 4222, http_port: 8222.
	portLine = regexp.MustCompile(`(?m)^([ \t]*[a-z_]*port[ \t]*[:=][ \t]*)(\d{2,5})[ \t]*$`)
	// topListen is the client listen address, written at the top level.
	topListen = regexp.MustCompile(`(?m)^(?:listen|port)[ \t]*[:=][ \t]*(?:\S*:)?(\d{2,5})[ \t]*$`)
	// topHTTP is the monitoring address.
	topHTTP       = regexp.MustCompile(`(?m)^(?:http|http_port)[ \t]*[:=][ \t]*(?:\S*:)?(\d{2,5})[ \t]*$`)
	serverNameRe  = regexp.MustCompile(`(?m)^server_name[ \t]*[:=][ \t]*"?([^"\s]+)"?[ \t]*$`)
	storeDirRe    = regexp.MustCompile(`(?m)^([ \t]*)store_dir[ \t]*[:=].*$`)
	syncRe        = regexp.MustCompile(`(?m)^([ \t]*)sync_interval[ \t]*[:=].*$`)
	includeRe     = regexp.MustCompile(`(?m)^([ \t]*)include[ \t]+["']?([^"'\s;]+)["']?[ \t]*;?[ \t]*$`)
	authFile      = "nats-auth.conf"
	freePortTries = 20
)

// nodeConfig is one server's configuration, rewritten for a run.
type nodeConfig struct {
	name       string
	dir        string // the server's own directory: config, store, log
	path       string // the rewritten configuration
	clientPort int
	httpPort   int
	profPort   int // 0 unless profiling was asked for
}

// ports maps each port the checked-in configurations name to a free one,
// the same for every file, so that routes still reach their nodes.
type ports map[int]int

func (p ports) of(old int) (int, error) {
	if n, ok := p[old]; ok {
		return n, nil
	}
	n, err := freePort(p)
	if err != nil {
		return 0, err
	}
	p[old] = n
	return n, nil
}

// rewrite writes the checked-in configuration src into dir with only its
// ports and its store directory changed (and its sync interval, when
// sync is set, and a profiling port, when profile is), copying the files
// it includes beside it.
func rewrite(src, dir string, pm ports, sync string, profile bool) (nodeConfig, error) {
	raw, err := os.ReadFile(src)
	if err != nil {
		return nodeConfig{}, err
	}
	conf := string(raw)
	var perr error
	conf = hostPort.ReplaceAllStringFunc(conf, func(m string) string {
		sub := hostPort.FindStringSubmatch(m)
		old, _ := strconv.Atoi(sub[2])
		n, err := pm.of(old)
		if err != nil {
			perr = err
			return m
		}
		return sub[1] + ":" + strconv.Itoa(n)
	})
	conf = portLine.ReplaceAllStringFunc(conf, func(m string) string {
		sub := portLine.FindStringSubmatch(m)
		old, _ := strconv.Atoi(sub[2])
		n, err := pm.of(old)
		if err != nil {
			perr = err
			return m
		}
		return sub[1] + strconv.Itoa(n)
	})
	if perr != nil {
		return nodeConfig{}, perr
	}
	nc := nodeConfig{name: strings.TrimSuffix(filepath.Base(src), ".conf")}
	if m := serverNameRe.FindStringSubmatch(conf); m != nil {
		nc.name = m[1]
	}
	nc.dir = filepath.Join(dir, nc.name)
	if err := os.MkdirAll(nc.dir, 0o755); err != nil {
		return nodeConfig{}, err
	}
	if !storeDirRe.MatchString(conf) {
		return nodeConfig{}, fmt.Errorf("%s has no store_dir to change", src)
	}
	store := filepath.Join(nc.dir, "store")
	conf = storeDirRe.ReplaceAllString(conf, fmt.Sprintf("${1}store_dir: %q", store))
	if sync != "" {
		line := "sync_interval: " + sync
		if syncRe.MatchString(conf) {
			conf = syncRe.ReplaceAllString(conf, "${1}"+line)
		} else {
			conf = storeDirRe.ReplaceAllString(conf, fmt.Sprintf("${1}store_dir: %q\n${1}%s", store, line))
		}
	}
	// Includes are relative to the configuration: copy each beside the
	// rewritten one and name it from there.
	var ierr error
	conf = includeRe.ReplaceAllStringFunc(conf, func(m string) string {
		sub := includeRe.FindStringSubmatch(m)
		from := sub[2]
		if !filepath.IsAbs(from) {
			from = filepath.Join(filepath.Dir(src), from)
		}
		if err := copyFile(from, filepath.Join(nc.dir, filepath.Base(from))); err != nil {
			ierr = fmt.Errorf("%s: include: %w", src, err)
			return m
		}
		return fmt.Sprintf("%sinclude %q", sub[1], filepath.Base(from))
	})
	if ierr != nil {
		return nodeConfig{}, ierr
	}
	// The users' file sits beside nats.conf; copy it even when this
	// configuration does not include it yet, so that one that does finds it.
	if err := copyFile(filepath.Join(filepath.Dir(src), authFile), filepath.Join(nc.dir, authFile)); err != nil && !os.IsNotExist(err) {
		return nodeConfig{}, err
	}
	m := topListen.FindStringSubmatch(conf)
	if m == nil {
		return nodeConfig{}, fmt.Errorf("%s has no top-level listen or port", src)
	}
	nc.clientPort, _ = strconv.Atoi(m[1])
	m = topHTTP.FindStringSubmatch(conf)
	if m == nil {
		return nodeConfig{}, fmt.Errorf("%s has no monitoring port (http), which readiness checks need", src)
	}
	nc.httpPort, _ = strconv.Atoi(m[1])
	if profile {
		if nc.profPort, err = freePort(pm); err != nil {
			return nodeConfig{}, err
		}
		pm[-nc.profPort] = nc.profPort // taken, under a key no config names
		conf += fmt.Sprintf("\n# pprof profiles, for this run only.\nprof_port: %d\n", nc.profPort)
	}
	nc.path = filepath.Join(nc.dir, "nats.conf")
	return nc, os.WriteFile(nc.path, []byte(conf), 0o644)
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}

// freePort is a port nothing listens on now and that pm has not handed out.
func freePort(pm ports) (int, error) {
	taken := map[int]bool{}
	for _, n := range pm {
		taken[n] = true
	}
	for range freePortTries {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		n := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !taken[n] {
			return n, nil
		}
	}
	return 0, fmt.Errorf("no free port after %d tries", freePortTries)
}
