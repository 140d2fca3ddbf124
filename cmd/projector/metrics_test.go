package main_test

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestProjectorMetrics(t *testing.T) {
	e := newEnv(t)
	p := startProc(t, "--nats", e.ns.URL(), "--db", filepath.Join(t.TempDir(), "p.db"), "--ops-addr", "127.0.0.1:0")
	e.waitCaughtUp(t)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^tshop_projector_lag_events\{stream="TSHOP_RESERVATIONS"\} 0$`),
		regexp.MustCompile(`(?m)^tshop_projector_lag_seconds\{stream="TSHOP_PRODUCTS"\} 0$`),
		regexp.MustCompile(`(?m)^tshop_projector_checkpoint\{stream="TSHOP_STORES"\} \d+$`),
		regexp.MustCompile(`(?m)^process_resident_memory_bytes \d`),
	} {
		deadline := time.Now().Add(15 * time.Second)
		for !want.MatchString(p.Metrics(t)) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in /metrics:\n%s", want, p.Metrics(t))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	p.Stop(t)
}
