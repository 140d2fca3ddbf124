package main

import (
	"sync"
	"time"

	"github.com/tshop/tshop/internal/osproc"
)

// supervisor keeps one process running: after a kill of the fault
// injector's it starts it again when the kill's downtime is over, and
// after an exit of the process's own (an api that could not reach NATS at
// start, a crash) a second later, counting it.
type supervisor struct {
	p   *osproc.Process
	out *events

	mu        sync.Mutex
	killed    bool
	downUntil time.Time
	stopping  bool
	done      chan struct{}
}

func supervise(p *osproc.Process, out *events) *supervisor {
	s := &supervisor{p: p, out: out, done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *supervisor) loop() {
	defer close(s.done)
	for {
		<-s.p.Exited()
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			return
		}
		until, killed := s.downUntil, s.killed
		s.killed = false
		s.mu.Unlock()
		if !killed {
			crash := crashed(s.p)
			s.out.selfExit(s.p.Name(), s.p.Err(), crash, s.p.Tail(1500))
			until = time.Now().Add(time.Second)
		}
		for {
			time.Sleep(time.Until(until))
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if stopping {
				return
			}
			if err := s.p.Start(); err != nil {
				s.out.note("%s: %v", s.p.Name(), err)
				until = time.Now().Add(time.Second)
				continue
			}
			s.out.restart(s.p.Name())
			break
		}
	}
}

// kill kills the process with SIGKILL; it is started again after down.
func (s *supervisor) kill(down time.Duration) {
	if !s.takeDown(down) {
		return
	}
	_ = s.p.Kill()
	s.out.kill(s.p.Name())
}

// stop ends the process with SIGTERM, as a planned restart would (it
// exits cleanly, handing off what it leads), and starts it again after
// down. A process that does not exit within grace is killed, and that is
// reported.
func (s *supervisor) stop(down, grace time.Duration) {
	if !s.takeDown(down) {
		return
	}
	s.out.stop(s.p.Name())
	if err := s.p.Stop(grace); err != nil {
		s.out.note("%s: %v", s.p.Name(), err)
	}
}

// takeDown notes that the process is about to be ended on purpose, to be
// started again after down; false when it is not running or supervision
// is over.
func (s *supervisor) takeDown(down time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || !s.p.Running() {
		return false
	}
	s.killed, s.downUntil = true, time.Now().Add(down)
	return true
}

// halt stops supervising: the process is left as it is, to be stopped.
func (s *supervisor) halt() {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
}
