package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The quick form of the whole suite runs here, against freshly built
// binaries, so the benchmark cannot rot. It checks that every scenario ran
// and reported; it asserts no figure (speed goals live in the report).
func TestQuickSuite(t *testing.T) {
	bin := t.TempDir()
	for _, b := range []struct{ out, pkg string }{
		{"api", "../api"}, {"projector", "../projector"}, {"assigner", "../assigner"},
		{"nats-server", "github.com/nats-io/nats-server/v2"},
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, b.out), b.pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("build %s: %v", b.out, err)
		}
	}
	self := filepath.Join(bin, "bench")
	if out, err := exec.Command("go", "build", "-o", self, ".").CombinedOutput(); err != nil {
		t.Fatalf("build bench: %v\n%s", err, out)
	}
	out := t.TempDir()
	cmd := exec.Command(self, "--quick", "--bin", bin, "--nats-conf", "../../nats.conf", "--out", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench --quick: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "docs", "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Scenario] = true
		if r.Value < 0 || (r.Baseline != "" && r.BaseValue <= 0) || (r.Scenario == cpuScenario && r.Value <= 0) {
			t.Errorf("%s / %s: value %v, baseline %v", r.Scenario, r.Figure, r.Value, r.BaseValue)
		}
	}
	for _, s := range []string{manyScenario, hotScenario, soldOutScenario, latencyScenario, lagScenario, acceptScenario,
		historyScenario, memoryScenario, rebuildScenario, choiceScenario, cpuScenario} {
		if !seen[s] {
			t.Errorf("no result for %q", s)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "BENCHMARKS.md"))
	if err != nil || !strings.Contains(string(md), "| figure |") {
		t.Errorf("BENCHMARKS.md: %v", err)
	}
	for _, c := range rep.Charts {
		if fi, err := os.Stat(filepath.Join(out, c)); err != nil || fi.Size() == 0 {
			t.Errorf("chart %s: %v", c, err)
		}
	}
}
