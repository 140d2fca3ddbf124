package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LastFromLeader is Last answered by the stream's leader. On a replicated
// stream Last may be answered by a follower a moment behind; this sees
// every append acked before the call, at the cost of a stream API request.
// Use it where a stale "not found" would be wrong, not merely slow.
func (s *Store) LastFromLeader(ctx context.Context, k Kind, id string) (Message, error) {
	if err := checkToken(id); err != nil {
		return Message{}, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	req, err := json.Marshal(map[string]string{"last_by_subj": k.Subject(id)})
	if err != nil {
		return Message{}, err
	}
	reply, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+k.Stream(), req)
	if err != nil {
		return Message{}, fmt.Errorf("load %s %s: %w", k, id, classify(err))
	}
	var resp struct {
		Message *struct {
			Seq    uint64    `json:"seq"`
			Header []byte    `json:"hdrs"`
			Data   []byte    `json:"data"`
			Time   time.Time `json:"time"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return Message{}, fmt.Errorf("load %s %s: %w", k, id, err)
	}
	if resp.Error != nil {
		return Message{}, fmt.Errorf("load %s %s: %w", k, id, classify(resp.Error))
	}
	if resp.Message == nil {
		return Message{}, fmt.Errorf("load %s %s: empty answer from the stream leader", k, id)
	}
	m := Message{Kind: k, ID: id, Seq: resp.Message.Seq, Time: resp.Message.Time}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return Message{}, fmt.Errorf("load %s %s: %w", k, id, err)
		}
		m.MsgID = h.Get(jetstream.MsgIDHeader)
	}
	if err := decodeBody(&m, resp.Message.Data); err != nil {
		return Message{}, err
	}
	return m, nil
}
