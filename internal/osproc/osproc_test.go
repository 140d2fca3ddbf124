package osproc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/osproc"
)

// A process killed with SIGKILL runs again with the same command line, its
// output appended to the same log; SIGTERM stops one that exits 0 on it.
func TestKillStartStop(t *testing.T) {
	log := filepath.Join(t.TempDir(), "p.log")
	// Prints its start, exits 0 on SIGTERM, else waits.
	script := `echo started; trap 'echo stopping; exit 0' TERM; while :; do sleep 0.05; done`
	p, err := osproc.Start(osproc.Config{Name: "p", Path: "/bin/sh", Args: []string{"-c", script}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	waitFor(t, func() bool { return strings.Count(p.Tail(1000), "started") == 1 })
	if err := p.Start(); err == nil {
		t.Fatal("Start of a running process succeeded")
	}
	pid := p.Pid()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if p.Running() {
		t.Fatal("running after Kill")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if p.Pid() == pid || p.Starts() != 2 {
		t.Fatalf("pid %d (was %d), starts %d", p.Pid(), pid, p.Starts())
	}
	waitFor(t, func() bool { return strings.Count(p.Tail(1000), "started") == 2 })
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop: %v\n%s", err, p.Tail(1000))
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "=== p: start 2 at ") || !strings.HasSuffix(string(data), "stopping\n") {
		t.Fatalf("log:\n%s", data)
	}
}

// Stop reports a process that does not exit 0 on SIGTERM.
func TestStopReportsAFailedExit(t *testing.T) {
	log := filepath.Join(t.TempDir(), "p.log")
	p, err := osproc.Start(osproc.Config{Name: "p", Path: "/bin/sh", Args: []string{"-c", `trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done`}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(p.Tail(100), "ready") })
	if err := p.Stop(5 * time.Second); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Stop: %v", err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
