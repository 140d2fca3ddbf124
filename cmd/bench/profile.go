package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

var opsLine = regexp.MustCompile(`"msg":"ops listener"[^\n]*?"addr":"([^"]+)"`)

// opsAddr is where a Tshop process of s serves /debug/pprof/ (it was
// started with --ops-addr 127.0.0.1:0 and announced the address).
func (s *system) opsAddr(name string) (string, error) {
	raw, err := os.ReadFile(s.logs[name].Name())
	if err != nil {
		return "", err
	}
	m := opsLine.FindSubmatch(raw)
	if m == nil {
		return "", fmt.Errorf("%s announced no ops listener", name)
	}
	return string(m[1]), nil
}

// profile takes a CPU profile of every process of s at once, for d, into
// dir as <label>-<process>.pprof. NATS serves its profiles on prof_port.
func (s *system) profile(ctx context.Context, d time.Duration, dir, label string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	targets := map[string]string{}
	for _, name := range []string{"api", "projector", "assigner"} {
		if s.procs[name] == nil {
			continue
		}
		addr, err := s.opsAddr(name)
		if err != nil {
			return err
		}
		targets[name] = addr
	}
	if s.profPort != 0 {
		targets["nats"] = fmt.Sprintf("127.0.0.1:%d", s.profPort)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(targets))
	for name, addr := range targets {
		wg.Go(func() {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds()))
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- fmt.Errorf("profile %s: %w", name, err)
				return
			}
			defer res.Body.Close()
			f, err := os.Create(filepath.Join(dir, label+"-"+name+".pprof"))
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			if _, err := io.Copy(f, res.Body); err != nil {
				errs <- fmt.Errorf("profile %s: %w", name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// profiled runs measure while, when the run asks for profiles, every
// process is profiled over the measured part of the load (after warmup).
func (b *bench) profiled(ctx context.Context, s *system, label string, measure func()) {
	if b.cfg.profile == "" {
		measure()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(b.sz.warm):
		case <-ctx.Done():
			return
		}
		d := max(time.Second, b.sz.run-time.Second)
		if err := s.profile(ctx, d, b.cfg.profile, label); err != nil {
			b.cfg.log.Warn("profiling failed", "err", err)
		}
	}()
	measure()
	<-done
}
