package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tshop/tshop/domain"
)

// maxBody bounds every request body.
const maxBody = 64 << 10

var (
	errUnsupportedMedia = errors.New("the body must be application/json")
	errTooLarge         = fmt.Errorf("the body is larger than %d bytes", maxBody)
)

// decode reads a JSON request body into v strictly: the content type must
// be JSON, the body at most maxBody bytes of valid UTF-8 holding exactly one
// object, with no field v does not have and no key twice. Any failure is
// an error the problem table knows.
func decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
		return errUnsupportedMedia
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errTooLarge
		}
		return fmt.Errorf("%w: reading the body: %v", domain.ErrInvalid, err)
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", domain.ErrInvalid)
	}
	if err := checkDuplicateKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", domain.ErrInvalid, jsonProblem(err))
	}
	if dec.More() {
		return fmt.Errorf("%w: the body holds more than one JSON value", domain.ErrInvalid)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: the body holds data after its JSON value", domain.ErrInvalid)
	}
	return nil
}

// jsonProblem says what is wrong with a body in terms a client can act on.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
		}
		return "the body must be a JSON object"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "number"
	case "struct", "map":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

// maxDepth bounds how deeply a body may nest.
const maxDepth = 16

// checkDuplicateKeys refuses a body in which an object names a key twice
// (encoding/json would silently keep the last), or that nests too deeply.
// encoding/json matches keys to fields under Unicode case folding ("ſtock"
// fills stock), so keys that fold alike count as the same key.
func checkDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next token of an object is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// Decode reports the syntax error itself.
			return nil
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.key {
				if k, ok := tok.(string); ok {
					k = foldKey(k)
					if top.keys[k] {
						return fmt.Errorf("%w: key %q appears twice", domain.ErrInvalid, k)
					}
					top.keys[k] = true
					top.key = false
					continue
				}
			} else {
				top.key = true
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, object: true, key: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].key = true
			}
		}
		if len(stack) > maxDepth {
			return fmt.Errorf("%w: the body nests deeper than %d levels", domain.ErrInvalid, maxDepth)
		}
	}
}

// foldKey maps every rune of k to the smallest rune of its case-folding
// orbit, so two keys fold to the same string exactly when encoding/json
// would take them for the same field name.
func foldKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}
