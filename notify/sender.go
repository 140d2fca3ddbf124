package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tshop/tshop/webhook"
)

// sender posts notifications to one webhook.
type sender struct {
	client *http.Client
	url    string
	secret []byte
}

func newSender(rawURL string, secret []byte, timeout time.Duration, concurrency int) *sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = concurrency
	return &sender{
		url:    rawURL,
		secret: secret,
		client: &http.Client{
			Transport: tr,
			// Timeout bounds the whole attempt, reading the answer too.
			Timeout: timeout,
			// A redirect is an answer that is not 2xx: a failed attempt,
			// never a signed body sent somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// refusal is a receiver's answer other than 2xx.
type refusal struct {
	status string
	// retryAfter is what a 429 or 503 asked for in Retry-After, if anything.
	retryAfter time.Duration
}

func (r *refusal) Error() string { return "receiver answered " + r.status }

// send posts one attempt at a notification, signed at now. nil means the
// receiver answered 2xx.
func (s *sender) send(ctx context.Context, id string, body []byte, attempt int, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tshop-notifier")
	req.Header.Set(webhook.HeaderEventID, id)
	req.Header.Set(webhook.HeaderAttempt, strconv.Itoa(attempt))
	webhook.Sign(req.Header, s.secret, now, body)
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may hold a token: say what failed without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	r := &refusal{status: resp.Status}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			r.retryAfter = time.Duration(secs) * time.Second
		}
	}
	return r
}

// redacted is u without credentials, query or fragment, for logs and
// parked records: a webhook URL may carry a token.
func redacted(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// backoff is the wait before the attempt after the attempt-th failed:
// exponential with full jitter, uniform in [0, min(max, initial·2^(attempt-1))).
// A receiver's Retry-After, up to max, is waited at least.
func backoff(attempt int, initial, max time.Duration, err error) time.Duration {
	ceil := initial
	for i := 1; i < attempt && ceil < max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, max)
	d := time.Duration(0)
	if ceil > 0 {
		d = time.Duration(rand.Int64N(int64(ceil)))
	}
	var r *refusal
	if errors.As(err, &r) && r.retryAfter > d {
		d = min(r.retryAfter, max)
	}
	return d
}
