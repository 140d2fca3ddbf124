package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/shop"
)

// formatPosition writes a position as STREAM:SEQ pairs, comma separated,
// in a fixed order.
func formatPosition(p shop.Position) string {
	parts := make([]string, 0, len(p))
	for stream, seq := range p {
		parts = append(parts, stream+":"+strconv.FormatUint(seq, 10))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// maxPositionLen bounds the position parameter.
const maxPositionLen = 200

// position reads the optional ?position= of a query: what a command's
// Tshop-Position header said.
func position(r *http.Request) (shop.Position, error) {
	raw := r.URL.Query().Get("position")
	pos := shop.Position{}
	if raw == "" {
		return pos, nil
	}
	bad := fmt.Errorf("%w: position must be STREAM:SEQ pairs separated by commas, as a Tshop-Position header gives them", domain.ErrInvalid)
	if len(raw) > maxPositionLen {
		return nil, bad
	}
	for _, part := range strings.Split(raw, ",") {
		stream, seqText, ok := strings.Cut(part, ":")
		seq, err := strconv.ParseUint(seqText, 10, 64)
		if !ok || err != nil || !knownStream(stream) {
			return nil, bad
		}
		pos[stream] = max(pos[stream], seq)
	}
	return pos, nil
}

func knownStream(name string) bool {
	for _, k := range eventstore.Kinds() {
		if k.Stream() == name {
			return true
		}
	}
	return false
}
