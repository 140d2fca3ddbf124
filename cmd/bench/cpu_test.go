package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name may hold spaces and parentheses; utime 150 and
	// stime 50 ticks follow it as fields 14 and 15.
	line := []byte("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 100 1000 10\n")
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * time.Second; got != want {
		t.Errorf("parseStat = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "4242 (cut", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 ten 12"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestCPUOfCountsWork(t *testing.T) {
	pid := os.Getpid()
	from, err := cpuOf(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until this process has used 100 ms more CPU, however long the
	// machine takes to give it that.
	deadline := time.Now().Add(30 * time.Second)
	x := 0
	for {
		for i := range 1_000_000 {
			x += i
		}
		now, err := cpuOf(pid)
		if err != nil {
			t.Fatal(err)
		}
		if now-from >= 100*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time moved %v in 30 s of spinning", now-from)
		}
	}
	_ = x
}
