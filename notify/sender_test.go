package notify

import (
	"errors"
	"testing"
	"time"
)

// Backoff is full jitter below a ceiling that doubles per failure up to
// the maximum; a receiver's Retry-After is waited at least, up to the
// maximum.
func TestBackoff(t *testing.T) {
	const initial, maxDelay = 100 * time.Millisecond, 2 * time.Second
	tests := []struct {
		name    string
		attempt int
		err     error
		min     time.Duration
		ceil    time.Duration
	}{
		{name: "first", attempt: 1, ceil: initial},
		{name: "second", attempt: 2, ceil: 2 * initial},
		{name: "fifth", attempt: 5, ceil: 16 * initial},
		{name: "capped", attempt: 6, ceil: maxDelay},
		{name: "far beyond", attempt: 1000, ceil: maxDelay},
		{name: "retry-after", attempt: 1, err: &refusal{status: "429", retryAfter: time.Second}, min: time.Second, ceil: time.Second + 1},
		{name: "retry-after capped", attempt: 1, err: &refusal{status: "503", retryAfter: time.Hour}, min: maxDelay, ceil: maxDelay + 1},
		{name: "other error", attempt: 1, err: errors.New("refused"), ceil: initial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var most time.Duration
			for range 2000 {
				d := backoff(tt.attempt, initial, maxDelay, tt.err)
				if d < tt.min || d >= tt.ceil {
					t.Fatalf("backoff = %s, want in [%s, %s)", d, tt.min, tt.ceil)
				}
				most = max(most, d)
			}
			// Jitter spreads over the whole range.
			if tt.min == 0 && most < tt.ceil/2 {
				t.Fatalf("the longest of 2000 backoffs is %s, below half of %s", most, tt.ceil)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.com/tshop?token=abc#x": "https://hooks.example.com/tshop",
		"http://127.0.0.1:8090/":                              "http://127.0.0.1:8090/",
	} {
		if got := redacted(in); got != want {
			t.Errorf("redacted(%q) = %q, want %q", in, got, want)
		}
	}
}
