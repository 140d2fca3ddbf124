package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawMsg is one stored message as a get returns it.
type rawMsg struct {
	Subject string
	Seq     uint64
	Time    time.Time
	Header  nats.Header
	Data    []byte
}

// getRequest asks a stream for one message: the first at or after Seq on
// NextBySubject (a literal subject or a wildcard), or the last of
// LastBySubject.
type getRequest struct {
	Seq           uint64 `json:"seq,omitempty"`
	NextBySubject string `json:"next_by_subj,omitempty"`
	LastBySubject string `json:"last_by_subj,omitempty"`
}

// get answers req from any replica of st (a direct get), or from the
// stream's leader when fromLeader is set or no replica answers direct gets
// yet (a new stream on a cluster). A replica may be a moment behind the
// leader; the leader has every message acked before the call. No matching
// message is ErrNotFound.
func (s *Store) get(ctx context.Context, st jetstream.Stream, req getRequest, fromLeader bool) (rawMsg, error) {
	if !fromLeader {
		var raw *jetstream.RawStreamMsg
		var err error
		if req.LastBySubject != "" {
			raw, err = st.GetLastMsgForSubject(ctx, req.LastBySubject)
		} else {
			raw, err = st.GetMsg(ctx, req.Seq, jetstream.WithGetMsgSubject(req.NextBySubject))
		}
		if err == nil {
			return rawMsg{Subject: raw.Subject, Seq: raw.Sequence, Time: raw.Time, Header: raw.Header, Data: raw.Data}, nil
		}
		if !errors.Is(err, nats.ErrNoResponders) {
			return rawMsg{}, classify(err)
		}
	}
	return s.getFromLeader(ctx, st.CachedInfo().Config.Name, req)
}

// getFromLeader asks the leader of the named stream for one message.
func (s *Store) getFromLeader(ctx context.Context, stream string, req getRequest) (rawMsg, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return rawMsg{}, err
	}
	reply, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, data)
	if err != nil {
		return rawMsg{}, classify(err)
	}
	var resp struct {
		Message *struct {
			Subject string    `json:"subject"`
			Seq     uint64    `json:"seq"`
			Header  []byte    `json:"hdrs"`
			Data    []byte    `json:"data"`
			Time    time.Time `json:"time"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return rawMsg{}, fmt.Errorf("get from %s: %w", stream, err)
	}
	if resp.Error != nil {
		return rawMsg{}, classify(resp.Error)
	}
	if resp.Message == nil {
		return rawMsg{}, fmt.Errorf("get from %s: empty answer from the stream leader", stream)
	}
	m := rawMsg{Subject: resp.Message.Subject, Seq: resp.Message.Seq, Time: resp.Message.Time, Data: resp.Message.Data}
	if len(resp.Message.Header) > 0 {
		if m.Header, err = nats.DecodeHeadersMsg(resp.Message.Header); err != nil {
			return rawMsg{}, fmt.Errorf("get from %s: %w", stream, err)
		}
	}
	return m, nil
}
