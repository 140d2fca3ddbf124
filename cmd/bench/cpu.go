package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the bench runs on).
const clockTicks = 100

// cpuOf is the CPU time, user and system, that a process has used so far.
func cpuOf(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	d, err := parseStat(raw)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// parseStat reads the user and system time out of a /proc/<pid>/stat line.
func parseStat(raw []byte) (time.Duration, error) {
	// The command name, in parentheses, may hold spaces: the fields that
	// follow it are counted from its closing parenthesis.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := bytes.Fields(raw[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields", len(f))
	}
	var ticks int64
	for _, field := range f[11:13] {
		n, err := strconv.ParseInt(string(field), 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// pids names the processes asked for, of the system under test: "bench"
// is this process, which generates the load, "nats" the NATS server
// ("nats-2" and on, the others of a cluster); with no names, every
// process that spends CPU on a measured run.
func (s *system) pids(names ...string) map[string]int {
	all := len(names) == 0
	want := func(name string) bool { return all || slices.Contains(names, name) }
	pids := map[string]int{}
	if want("bench") {
		pids["bench"] = os.Getpid()
	}
	for name, cmd := range s.procs {
		if want(name) {
			pids[name] = cmd.Process.Pid
		}
	}
	if s.nats != nil && want("nats") {
		for i, srv := range s.nats.Servers {
			name := "nats"
			if i > 0 {
				name = fmt.Sprintf("nats-%d", i+1)
			}
			pids[name] = srv.Process().Pid()
		}
	}
	return pids
}

// cpuTimes is the CPU time each of some processes has used, by name.
type cpuTimes map[string]time.Duration

func (c cpuTimes) total() time.Duration {
	var t time.Duration
	for _, d := range c {
		t += d
	}
	return t
}

// split formats each process's CPU time per operation, largest first,
// leaving out the processes that spent none (a baseline's server idle
// beside the system).
func (c cpuTimes) split(ops int) string {
	names := slices.Collect(maps.Keys(c))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(c[b], c[a]) })
	var parts []string
	for _, name := range names {
		if c[name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f µs", name, perOp(c[name], ops)))
		}
	}
	return strings.Join(parts, ", ")
}

func cpuNow(pids map[string]int) (cpuTimes, error) {
	c := cpuTimes{}
	for name, pid := range pids {
		d, err := cpuOf(pid)
		if err != nil {
			return nil, err
		}
		c[name] = d
	}
	return c, nil
}

// cpuMeter measures the CPU time some processes spend between its start
// and stop. On a machine shared with other work, CPU time per request
// moves far less from run to run than requests per second do, and it
// counts what every process did for a request, not only the one that
// answered it.
type cpuMeter struct {
	pids map[string]int
	from cpuTimes
	err  error
	// With a system to count on, the messages NATS took in and sent out
	// too: at the start, then what stop counted.
	sys             *system
	counts, counted natsCounts
}

func meter(pids map[string]int, sys *system) *cpuMeter {
	m := &cpuMeter{pids: pids, sys: sys}
	if sys != nil {
		m.counts, m.err = sys.natsCounts(context.Background())
	}
	if m.err == nil {
		m.from, m.err = cpuNow(pids)
	}
	return m
}

// metered runs fn, measuring over what it does after delay (a load run's
// warm-up) to its end.
func metered(pids map[string]int, sys *system, delay time.Duration, fn func()) (*cpuMeter, cpuTimes, error) {
	ch := make(chan *cpuMeter, 1)
	go func() {
		time.Sleep(delay)
		ch <- meter(pids, sys)
	}()
	fn()
	m := <-ch
	spent, err := m.stop()
	return m, spent, err
}

// stop ends the measurement and returns the CPU time each process spent
// since start.
func (m *cpuMeter) stop() (cpuTimes, error) {
	if m.err != nil {
		return nil, m.err
	}
	to, err := cpuNow(m.pids)
	if err != nil {
		return nil, err
	}
	for name := range to {
		to[name] -= m.from[name]
	}
	if m.sys != nil {
		if m.counted, err = m.sys.natsCounts(context.Background()); err != nil {
			return nil, err
		}
	}
	return to, nil
}

// messages formats the NATS messages counted per operation.
func (m *cpuMeter) messages(ops int) string {
	if m.counted == nil {
		return "not counted"
	}
	return m.counted.perOp(m.counts, ops)
}

// perOp is CPU time per operation in microseconds; 0 when nothing was
// done.
func perOp(spent time.Duration, ops int) float64 {
	if ops <= 0 {
		return 0
	}
	return float64(spent) / float64(time.Microsecond) / float64(ops)
}

// natsCounts is how many messages NATS has taken in from and sent out to
// the clients of each name so far.
type natsCounts map[string][2]int64

func (s *system) natsCounts(ctx context.Context) (natsCounts, error) {
	var connz struct {
		Conns []struct {
			Name    string `json:"name"`
			InMsgs  int64  `json:"in_msgs"`
			OutMsgs int64  `json:"out_msgs"`
		} `json:"connections"`
	}
	counts := natsCounts{}
	for _, srv := range s.nats.Servers {
		if err := srv.Monitor(ctx, "/connz?limit=1024", &connz); err != nil {
			return nil, err
		}
		for _, c := range connz.Conns {
			n := counts[c.Name]
			n[0] += c.InMsgs
			n[1] += c.OutMsgs
			counts[c.Name] = n
		}
	}
	return counts, nil
}

// perOp formats, per operation and by client name, the messages NATS took
// in and sent out since from; clients that came and went between the
// two are not counted.
func (c natsCounts) perOp(from natsCounts, ops int) string {
	if ops <= 0 {
		return "no operations"
	}
	var parts []string
	var in, out int64
	for _, name := range slices.Sorted(maps.Keys(c)) {
		d := [2]int64{c[name][0] - from[name][0], c[name][1] - from[name][1]}
		if d == [2]int64{} {
			continue
		}
		in, out = in+d[0], out+d[1]
		if name == "" {
			name = "unnamed"
		}
		parts = append(parts, fmt.Sprintf("%s %.1f in, %.1f out", name, float64(d[0])/float64(ops), float64(d[1])/float64(ops)))
	}
	return fmt.Sprintf("%.1f in, %.1f out (%s)", float64(in)/float64(ops), float64(out)/float64(ops), strings.Join(parts, "; "))
}
