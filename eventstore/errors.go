package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	// ErrConflict means another append reached the aggregate first: reload
	// it and decide again.
	ErrConflict = errors.New("append conflict")
	// ErrNotFound means the aggregate has no message in its stream.
	ErrNotFound = errors.New("not found in the event log")
	// ErrUnavailable means NATS could not be reached or did not answer in
	// time. The outcome of an append that failed this way is unknown.
	ErrUnavailable = errors.New("event log unavailable")
	// ErrUndecodable means a stored message is not one Tshop reads: not a
	// body of events and state, or an event its subject may not hold. It
	// will never read otherwise.
	ErrUndecodable = errors.New("message does not decode")
)

// JetStream error codes of an expected-sequence mismatch: the plain one, and
// the one a replicated stream gives while another write to the same subject
// is in flight.
const (
	codeWrongLastSequence         = 10071
	codeWrongLastSequenceConstant = 10164
)

// codeDuplicateInProcess is a replicated stream's answer to a publish whose
// message id another publish is storing right now: "duplicate message id is
// in process". Once that one commits, the same publish is acked as its
// duplicate.
const codeDuplicateInProcess = 10158

// inProcess reports whether err is codeDuplicateInProcess.
func inProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == codeDuplicateInProcess
}

// classify turns what nats.go returned into one of the package's errors,
// keeping the original in the chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case codeWrongLastSequence, codeWrongLastSequenceConstant:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case jetstream.JSErrCodeMessageNotFound:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		if apiErr.Code == 503 {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled),
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, nats.ErrReconnectBufExceeded),
		errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
