// Package webhook is how Tshop signs the HTTP requests it sends to a
// receiver, and how a receiver checks them. It uses the standard library
// only, so a receiver written in Go may import it or copy Verify.
//
// Every request carries three headers:
//
//	Tshop-Event-Id:  TSHOP_RESERVATIONS-1234-0
//	Tshop-Timestamp: 1764063000
//	Tshop-Signature: t=1764063000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// The event id is stable: every attempt, from any sender, at the same
// notification has the same id, so a receiver dedupes on it. The timestamp
// is the attempt's, in Unix seconds; a retry is signed afresh, so a receiver
// may refuse old timestamps (replays) without refusing late retries. The
// signature is
//
//	v1 = hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// over the exact bytes of the body, with the timestamp as the decimal
// string of Tshop-Timestamp. Tshop-Signature may hold several v1 values
// (while a secret is being rotated); one matching is enough.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed request.
const (
	HeaderEventID   = "Tshop-Event-Id"
	HeaderTimestamp = "Tshop-Timestamp"
	HeaderSignature = "Tshop-Signature"
	// HeaderAttempt counts the attempts at one notification, from 1. It is
	// informative only and not signed.
	HeaderAttempt = "Tshop-Attempt"
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock before Verify refuses it.
const DefaultTolerance = 5 * time.Minute

var (
	// ErrNoSignature means a request lacks Tshop-Timestamp or
	// Tshop-Signature, or they are malformed or disagree.
	ErrNoSignature = errors.New("missing or malformed signature headers")
	// ErrBadSignature means no signature matches the body and the secret.
	ErrBadSignature = errors.New("signature does not match")
	// ErrStale means the request's timestamp is outside the tolerance.
	ErrStale = errors.New("timestamp outside the tolerance")
)

// Signature is the hex HMAC-SHA256 of timestamp + "." + body under secret:
// the v1 value of Tshop-Signature.
func Signature(secret []byte, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Sign sets Tshop-Timestamp and Tshop-Signature on h for body sent at t.
func Sign(h http.Header, secret []byte, t time.Time, body []byte) {
	ts := t.Unix()
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, fmt.Sprintf("t=%d,v1=%s", ts, Signature(secret, ts, body)))
}

// Verify checks that body, received with headers h, was signed with secret
// no more than tolerance away from now (0: DefaultTolerance). It compares
// in constant time.
func Verify(secret []byte, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	var sigs []string
	signedAt := int64(-1)
	for part := range strings.SplitSeq(h.Get(HeaderSignature), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return ErrNoSignature
		case k == "t":
			if signedAt, err = strconv.ParseInt(v, 10, 64); err != nil {
				return ErrNoSignature
			}
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	if signedAt != ts || len(sigs) == 0 {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := []byte(Signature(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}
