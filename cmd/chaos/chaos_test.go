package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The short form of the chaos run, on a single server and on a 3-node
// cluster: real processes, random kills, every invariant checked at the
// end. It must find nothing. TSHOP_CHAOS_SEED runs a given seed again.
func TestChaosShort(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TSHOP_CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("TSHOP_CHAOS_SEED: %v", err)
		}
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"single server", []string{"--duration", "40s"}},
		{"cluster", []string{"--duration", "45s", "--cluster"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"--bin", binDir, "--root", "../..", "--seed", strconv.FormatUint(seed, 10),
				"--dir", filepath.Join(dir, "run"), "--every", "3s"}, tt.args...)
			cmd := exec.Command(filepath.Join(binDir, "chaos"), args...)
			out, err := cmd.CombinedOutput()
			report := string(out)
			if i := strings.Index(report, "\n== chaos report"); i >= 0 {
				t.Log(report[i:])
			}
			if err != nil {
				t.Fatalf("chaos %s: %v (seed %d; run again with TSHOP_CHAOS_SEED=%d)\n%s", strings.Join(tt.args, " "), err, seed, seed, tail(report, 20000))
			}
			if !strings.Contains(report, "violations: none") {
				t.Fatalf("no verdict in the report:\n%s", report)
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return fmt.Sprintf("…%s", s[len(s)-n:])
	}
	return s
}
