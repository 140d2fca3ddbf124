package domain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// IDList is a list of reservation ids kept in an aggregate's state. Every
// message of the aggregate carries its state, so the list is written and
// read on every change: it is encoded as one base64 string of the ids'
// 16 bytes each, in order, rather than an array of 36-character strings.
// That is 21 bytes an id instead of 39, and decoding it is a copy rather
// than a parse per id (the array form cost a store's assigner most of its
// CPU once stores held a few hundred reservations). The array form, which
// older logs hold, is still read.
type IDList []uuid.UUID

// MarshalText encodes l as base64. It is text rather than JSON so that
// encoding/json writes it through its string encoder instead of checking
// and compacting the output of a MarshalJSON byte by byte: a third of the
// time for a store of 200 reservations. A nil or empty list is only ever
// written in a field that omits it when empty.
func (l IDList) MarshalText() ([]byte, error) {
	raw := make([]byte, 0, 16*len(l))
	for _, id := range l {
		raw = append(raw, id[:]...)
	}
	return base64.StdEncoding.AppendEncode(make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))), raw), nil
}

// UnmarshalJSON reads the base64 string MarshalText writes, or an array of
// ids in their text form. (Decoding gains nothing from a text form: the
// decoder checks the whole value either way, and an array would not read.)
func (l *IDList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*l = nil
		return nil
	case len(data) > 0 && data[0] == '[':
		var ids []uuid.UUID
		if err := json.Unmarshal(data, &ids); err != nil {
			return err
		}
		*l = ids
		return nil
	}
	// MarshalText never writes an escape; a string with one came from
	// elsewhere and goes through the full string decoder.
	var text []byte
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' || bytes.IndexByte(data, '\\') >= 0 {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("reservation id list: %w", err)
		}
		text = []byte(s)
	} else {
		text = data[1 : len(data)-1]
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(raw, text)
	if err != nil {
		return fmt.Errorf("reservation id list: %w", err)
	}
	raw = raw[:n]
	if len(raw)%16 != 0 {
		return fmt.Errorf("reservation id list: %d bytes is not a whole number of ids", len(raw))
	}
	ids := make(IDList, len(raw)/16)
	for i := range ids {
		copy(ids[i][:], raw[16*i:])
	}
	*l = ids
	return nil
}
