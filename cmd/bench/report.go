package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// result is one measured figure beside its baseline and target.
type result struct {
	Scenario   string  `json:"scenario"`
	Durability string  `json:"durability"`
	Figure     string  `json:"figure"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	Baseline   string  `json:"baseline,omitempty"`
	BaseValue  float64 `json:"baselineValue,omitempty"`
	// Ratio is Value / BaseValue, 0 without a baseline.
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target,omitempty"`
	// Met is nil where there is no target.
	Met   *bool  `json:"met,omitempty"`
	Notes string `json:"notes,omitempty"`
}

// report is one run of the suite.
type report struct {
	Machine string   `json:"machine"`
	Date    string   `json:"date"`
	Mode    string   `json:"mode"`
	Results []result `json:"results"`
	Charts  []string `json:"charts"`
}

func newReport(quick bool) *report {
	mode := "full"
	if quick {
		mode = "quick (smoke check: short runs, small logs; figures are indicative only)"
	}
	return &report{Machine: machine(), Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Mode: mode}
}

func (r *report) add(res result) {
	if res.BaseValue != 0 {
		res.Ratio = res.Value / res.BaseValue
	}
	r.Results = append(r.Results, res)
}

func (r *report) missed() int {
	n := 0
	for _, res := range r.Results {
		if res.Met != nil && !*res.Met {
			n++
		}
	}
	return n
}

func met(ok bool) *bool { return &ok }

// write puts BENCHMARKS.md at out and bench.json under out/docs.
func (r *report) write(out string) error {
	if err := os.MkdirAll(filepath.Join(out, "docs"), 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "docs", "bench.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Tshop benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./cmd/bench`); machine-readable in `docs/bench.json`.\n")
	fmt.Fprintf(&b, "Every baseline was measured in the same run on the same machine; ratios carry over\n")
	fmt.Fprintf(&b, "to other machines better than absolute figures. Load is generated on the same\n")
	fmt.Fprintf(&b, "machine, over loopback, by the benchmark process. Why the missed targets are\n")
	fmt.Fprintf(&b, "missed, from CPU profiles, is in `docs/performance.md`.\n\n")
	fmt.Fprintf(&b, "- machine: %s\n- date: %s\n- mode: %s\n\n", r.Machine, r.Date, r.Mode)
	scenario := ""
	for _, res := range r.grouped() {
		if res.Scenario != scenario {
			scenario = res.Scenario
			fmt.Fprintf(&b, "\n## %s\n\n", scenario)
			fmt.Fprintf(&b, "| figure | value | baseline | ratio | target | met | durability | notes |\n")
			fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		}
		base, ratio, verdict := "—", "—", "—"
		if res.Baseline != "" {
			base = fmt.Sprintf("%s: %s", res.Baseline, num(res.BaseValue, res.Unit))
			ratio = fmt.Sprintf("%.2f", res.Ratio)
		}
		if res.Met != nil {
			verdict = map[bool]string{true: "yes", false: "**no**"}[*res.Met]
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", res.Figure, num(res.Value, res.Unit), base, ratio,
			orDash(res.Target), verdict, res.Durability, orDash(res.Notes))
	}
	if len(r.Charts) > 0 {
		fmt.Fprintf(&b, "\n## Charts\n\n")
		for _, c := range r.Charts {
			fmt.Fprintf(&b, "![%s](%s)\n\n", c, c)
		}
	}
	return os.WriteFile(filepath.Join(out, "BENCHMARKS.md"), []byte(b.String()), 0o644)
}

// grouped is the results with each scenario's together, scenarios in the
// order they first appear, but the CPU accounting, which explains the
// others, last.
func (r *report) grouped() []result {
	var order []string
	by := map[string][]result{}
	for _, res := range r.Results {
		if _, ok := by[res.Scenario]; !ok && res.Scenario != cpuScenario {
			order = append(order, res.Scenario)
		}
		by[res.Scenario] = append(by[res.Scenario], res)
	}
	if _, ok := by[cpuScenario]; ok {
		order = append(order, cpuScenario)
	}
	var out []result
	for _, s := range order {
		out = append(out, by[s]...)
	}
	return out
}

func num(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// machine describes the CPU, core count, OS and Go version.
func machine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
