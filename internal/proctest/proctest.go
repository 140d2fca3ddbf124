// Package proctest runs this module's commands as real processes in tests:
// built once per test binary, started, read while they run, killed.
package proctest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles the package pkg (as go build names it) into dir/name and
// returns the binary's path. It is meant for TestMain.
func Build(dir, name, pkg string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Stderr = os.Stderr
	return bin, cmd.Run()
}

// Proc is a running process whose output a test may read while it runs.
type Proc struct {
	Cmd *exec.Cmd
	out *buffer
}

// Start runs bin with args; the process is killed when the test ends.
func Start(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, nil, bin, args...)
}

// StartEnv is Start with env ("KEY=value") added to the test's environment,
// for instance the NATS user the process logs in as.
func StartEnv(t testing.TB, env []string, bin string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, out: out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return p
}

// Output is everything the process wrote so far.
func (p *Proc) Output() string { return p.out.String() }

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.Cmd.Wait()
}

// Stop ends the process with SIGTERM and fails the test unless it exits 0
// within 20 seconds.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s on SIGTERM: %v\n%s", filepath.Base(p.Cmd.Path), err, p.Output())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not stop within 20s of SIGTERM\n%s", filepath.Base(p.Cmd.Path), p.Output())
	}
}

// buffer is written by a process while a test reads it.
type buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Main builds the package pkg as name into a temporary directory, stores
// the binary's path in *bin, runs the tests and exits with their code. A
// test binary's TestMain calls it.
func Main(m *testing.M, name, pkg string, bin *string) {
	dir, err := os.MkdirTemp("", "tshop-"+name)
	if err != nil {
		panic(err)
	}
	if *bin, err = Build(dir, name, pkg); err != nil {
		os.RemoveAll(dir)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
