package webhook_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tshop/tshop/webhook"
)

func TestVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"id":"TSHOP_RESERVATIONS-7-0","status":"ACCEPTED"}`)
	sent := time.Unix(1764063000, 0)
	signed := func() http.Header {
		h := http.Header{}
		webhook.Sign(h, secret, sent, body)
		return h
	}
	tests := []struct {
		name    string
		header  func() http.Header
		body    []byte
		secret  []byte
		now     time.Time
		wantErr error
	}{
		{name: "valid", header: signed, now: sent.Add(time.Minute)},
		{name: "valid, clock slightly behind", header: signed, now: sent.Add(-time.Minute)},
		{name: "other body", header: signed, body: []byte(`{"id":"TSHOP_RESERVATIONS-7-0","status":"CANCELLED"}`), wantErr: webhook.ErrBadSignature},
		{name: "other secret", header: signed, secret: []byte("another secret, just as long...."), wantErr: webhook.ErrBadSignature},
		{name: "too old", header: signed, now: sent.Add(6 * time.Minute), wantErr: webhook.ErrStale},
		{name: "from the future", header: signed, now: sent.Add(-6 * time.Minute), wantErr: webhook.ErrStale},
		{name: "no headers", header: func() http.Header { return http.Header{} }, wantErr: webhook.ErrNoSignature},
		{name: "timestamp changed", header: func() http.Header {
			h := signed()
			h.Set(webhook.HeaderTimestamp, "1764063060")
			return h
		}, wantErr: webhook.ErrNoSignature},
		{name: "signature without v1", header: func() http.Header {
			h := signed()
			h.Set(webhook.HeaderSignature, "t=1764063000")
			return h
		}, wantErr: webhook.ErrNoSignature},
		{name: "second v1 matches (rotation)", header: func() http.Header {
			h := signed()
			h.Set(webhook.HeaderSignature, "t=1764063000,v1=00ff,"+h.Get(webhook.HeaderSignature)[len("t=1764063000,"):])
			return h
		}},
		{name: "documented example", header: func() http.Header {
			h := http.Header{}
			h.Set(webhook.HeaderTimestamp, "1764063000")
			h.Set(webhook.HeaderSignature, "t=1764063000,v1="+webhook.Signature(secret, 1764063000, body))
			return h
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s, now := body, secret, sent
			if tt.body != nil {
				b = tt.body
			}
			if tt.secret != nil {
				s = tt.secret
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			err := webhook.Verify(s, tt.header(), b, 0, now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// The signature is HMAC-SHA256 over "<timestamp>.<body>", hex: a fixed
// vector, so that a receiver in another language can check its own code.
func TestSignatureVector(t *testing.T) {
	got := webhook.Signature([]byte("secret"), 1764063000, []byte(`{"a":1}`))
	// printf '1764063000.{"a":1}' | openssl dgst -sha256 -hmac secret
	const want = "d089a3572cefab185dd0f2c6974bbd7679c3723a1255ac68b73e2d02140c1d58"
	if got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
}
