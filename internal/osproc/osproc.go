// Package osproc runs a command as an OS process that can be killed with
// SIGKILL, as a crash would, and started again with the same command line
// and environment. Its output, across every run, is appended to one log
// file. The system's tests and tools run nats-server, api, projector and
// assigner with it.
package osproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Config says what to run.
type Config struct {
	// Name names the process in errors and in the log.
	Name string
	Path string
	Args []string
	// Env is the process's whole environment; nil means this process's.
	Env []string
	// Dir is the working directory; empty means this process's.
	Dir string
	// Log is the file the process's output is appended to; empty
	// discards it.
	Log string
}

// Process is a command that runs, dies and runs again.
type Process struct {
	cfg Config

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current run has exited
	err    error         // how the current run exited, once done
	starts int
}

// ErrRunning is Start on a process that has not exited.
var ErrRunning = errors.New("process is running")

// Start runs the command.
func Start(cfg Config) (*Process, error) {
	p := &Process{cfg: cfg}
	return p, p.Start()
}

// Name is the process's name.
func (p *Process) Name() string { return p.cfg.Name }

// LogPath is the file its output goes to.
func (p *Process) LogPath() string { return p.cfg.Log }

// Start runs the command again, with the same arguments and environment, if
// it has exited.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("start %s: %w", p.cfg.Name, ErrRunning)
		}
	}
	var out io.Writer = io.Discard
	var logFile *os.File
	if p.cfg.Log != "" {
		f, err := os.OpenFile(p.cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("start %s: %w", p.cfg.Name, err)
		}
		if p.starts > 0 {
			fmt.Fprintf(f, "=== %s: start %d at %s ===\n", p.cfg.Name, p.starts+1, time.Now().Format(time.RFC3339Nano))
		}
		logFile, out = f, f
	}
	cmd := exec.Command(p.cfg.Path, p.cfg.Args...)
	cmd.Env, cmd.Dir = p.cfg.Env, p.cfg.Dir
	cmd.Stdout, cmd.Stderr = out, out
	// A group of its own: a Ctrl-C meant for the parent does not reach
	// it, so the parent decides the order in which everything stops.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fmt.Errorf("start %s: %w", p.cfg.Name, err)
	}
	if logFile != nil {
		// The child holds its own descriptor now.
		logFile.Close()
	}
	done := make(chan struct{})
	p.cmd, p.done, p.err = cmd, done, nil
	p.starts++
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// Starts counts the runs so far.
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Pid is the current run's process id.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the current run has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Exited is closed when the current run exits.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Err is how the last run exited: nil for exit status 0 (or still
// running), an *exec.ExitError otherwise.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Kill ends the process with SIGKILL, as a crash would, and waits until
// it has gone. A process that has already exited is left as it is.
func (p *Process) Kill() error {
	return p.signalAndWait(syscall.SIGKILL, 0)
}

// Stop ends the process with SIGTERM and waits up to grace for it to exit,
// then kills it. It returns an error unless the process exited by itself
// with status 0.
func (p *Process) Stop(grace time.Duration) error {
	return p.signalAndWait(syscall.SIGTERM, grace)
}

func (p *Process) signalAndWait(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", p.cfg.Name, err)
	}
	if sig == syscall.SIGKILL {
		<-done
		return nil
	}
	select {
	case <-done:
		if err := p.Err(); err != nil {
			return fmt.Errorf("%s on %s: %w", p.cfg.Name, sig, err)
		}
		return nil
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not exit within %s of %s; killed", p.cfg.Name, grace, sig)
	}
}

// Tail is the end of the process's log, at most n bytes, for error
// reports.
func (p *Process) Tail(n int) string {
	if p.cfg.Log == "" {
		return ""
	}
	data, err := os.ReadFile(p.cfg.Log)
	if err != nil {
		return ""
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}
