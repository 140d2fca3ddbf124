package main_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/internal/proctest"
	"github.com/tshop/tshop/webhook"
)

// logLines decodes the JSON lines of a process's output.
func logLines(out string) []map[string]any {
	var lines []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines
}

// `notifier receive`, as `make run` starts it, logs each notification
// the notifier sends it once, refuses a forged one and answers a
// duplicate without logging it again.
func TestReceiveCommand(t *testing.T) {
	e := newEnv(t)
	recv := proctest.StartEnv(t, []string{"TSHOP_WEBHOOK_SECRET=" + secret}, notifierBin, "receive", "--addr", "127.0.0.1:0")
	var addr string
	eventually(t, 10*time.Second, "receiver listening", func() bool {
		for _, l := range logLines(recv.Output()) {
			if l["msg"] == "receiver listening" {
				addr, _ = l["addr"].(string)
			}
		}
		return addr != ""
	})
	url := "http://" + addr + "/"
	p := e.startNotifier(t, url)
	id := e.scenario(t, "c-local", fulfilled)
	var logged []map[string]any
	eventually(t, 30*time.Second, "three notifications logged", func() bool {
		logged = nil
		for _, l := range logLines(recv.Output()) {
			if l["msg"] == "notification" && l["reservation"] == id.String() {
				logged = append(logged, l)
			}
		}
		return len(logged) >= len(fulfilled)
	})
	var statuses []domain.Status
	for _, l := range logged {
		statuses = append(statuses, domain.Status(l["status"].(string)))
		if l["statusLabel"] != domain.Status(l["status"].(string)).Label() || l["customer"] != "c-local" {
			t.Errorf("logged %v", l)
		}
	}
	if !slices.Equal(statuses, fulfilled) {
		t.Fatalf("receiver logged %v, want %v", statuses, fulfilled)
	}
	p.Stop(t)

	post := func(body []byte, h http.Header) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The first notification again, signed afresh: a duplicate.
	first, err := json.Marshal(map[string]any{"id": logged[0]["notification"], "reservationId": id.String(), "status": "PLACED"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhook.HeaderEventID, logged[0]["notification"].(string))
	webhook.Sign(h, []byte(secret), time.Now(), first)
	if code := post(first, h); code != http.StatusOK {
		t.Errorf("duplicate answered %d, want 200", code)
	}
	// Signed with another secret: refused.
	webhook.Sign(h, []byte("not the receiver's secret at all"), time.Now(), first)
	if code := post(first, h); code != http.StatusUnauthorized {
		t.Errorf("forged notification answered %d, want 401", code)
	}
	eventually(t, 10*time.Second, "duplicate and refusal logged", func() bool {
		out := recv.Output()
		return strings.Contains(out, `"msg":"duplicate notification"`) && strings.Contains(out, `"msg":"refused a request"`)
	})
	if n := strings.Count(recv.Output(), `"msg":"notification"`); n != len(fulfilled) {
		t.Errorf("receiver logged %d notifications, want %d", n, len(fulfilled))
	}
	recv.Stop(t)
}

// A notifier that cannot start says why in one line and exits non-zero,
// without ever printing its secret.
func TestCannotStart(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withSecret := "TSHOP_WEBHOOK_SECRET=" + secret
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "no secret", args: []string{"--webhook-url", "http://127.0.0.1:1/"}, want: "no webhook secret"},
		{name: "short secret", env: []string{"TSHOP_WEBHOOK_SECRET=short"}, args: []string{"--webhook-url", "http://127.0.0.1:1/"}, want: "at least 16 bytes"},
		{name: "missing secret file", args: []string{"--webhook-secret-file", filepath.Join(dir, "none"), "--webhook-url", "http://127.0.0.1:1/"}, want: "webhook secret"},
		{name: "no URL", env: []string{withSecret}, want: "no webhook URL"},
		{name: "bad URL", env: []string{withSecret}, args: []string{"--webhook-url", "ftp://example.com/x"}, want: "webhook URL"},
		{name: "unknown command", args: []string{"replay"}, want: "unknown command"},
		{name: "receiver without a secret", args: []string{"receive"}, want: "no webhook secret"},
		{name: "no NATS", args: []string{"--webhook-secret-file", secretFile, "--webhook-url", "http://127.0.0.1:1/", "--nats", "nats://127.0.0.1:1"}, want: "connect to NATS"},
		{name: "receiver address taken", env: []string{withSecret}, args: []string{"receive", "--addr", taken.Addr().String()}, want: "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(notifierBin, tt.args...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "TSHOP_WEBHOOK_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("exit: %v, want a non-zero code\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "notifier: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("last line %q, want notifier: ...%s...", last, tt.want)
			}
			if strings.Contains(stderr.String(), secret) {
				t.Fatal("the secret is in the output")
			}
		})
	}
}
