package proctest

import (
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"
)

var opsLine = regexp.MustCompile(`"msg":"ops listener"[^\n]*?"addr":"([^"]+)"`)

// Metrics is what the process serves at /metrics on its ops listener
// (started with --ops-addr 127.0.0.1:0), waiting up to 10 seconds for the
// listener to be announced in its log.
func (p *Proc) Metrics(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := opsLine.FindStringSubmatch(p.Output()); m != nil {
			res, err := http.Get("http://" + m[1] + "/metrics")
			if err != nil {
				t.Fatalf("scrape %s: %v", m[1], err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("scrape %s: %d %v", m[1], res.StatusCode, err)
			}
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ops listener announced; output:\n%s", p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
