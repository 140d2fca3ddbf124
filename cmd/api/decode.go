package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
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
// be JSON (in UTF-8, if it names a charset), the body at most maxBody bytes
// of valid UTF-8 holding exactly one object, with no field v does not have,
// no key twice and no string encoding/json would change. Any failure is an
// error the problem table knows.
func decode(r *http.Request, v any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
		return errUnsupportedMedia
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
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
	if loneSurrogate(body) {
		// encoding/json would take it for U+FFFD: the value stored would
		// not be the one sent.
		return fmt.Errorf("%w: the body escapes half of a UTF-16 surrogate pair", domain.ErrInvalid)
	}
	if err := checkKeys(body, fieldsOf(reflect.TypeOf(v))); err != nil {
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

// fieldSet is what checkKeys knows of a body's target type: the JSON name
// of every field of it and of the structs it holds, exactly as spelled,
// by the name folded as foldKey folds it.
type fieldSet map[string]string

// fieldsOf returns t's fieldSet, worked out once per type.
func fieldsOf(t reflect.Type) fieldSet {
	if fs, ok := fieldSetCache.Load(t); ok {
		return fs.(fieldSet)
	}
	fs := fieldSet{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fs[foldKey(name)] = name
			walk(f.Type)
		}
	}
	walk(t)
	fieldSetCache.Store(t, fs)
	return fs
}

var fieldSetCache sync.Map // reflect.Type → fieldSet

// checkKeys refuses a body in which an object names a key twice
// (encoding/json would silently keep the last), that nests too deeply, or
// that spells a field's name in another case. encoding/json matches keys
// to fields under Unicode case folding ("ſtock" or "STOCK" fill stock), so
// keys that fold alike count as the same key, and a key that folds like
// one of fields but is not spelled as it is refused. Keys that are no
// field's at all are left to the decoder, which refuses them, as it
// reports malformed JSON: checkKeys stops at the first syntax error it
// meets and finds nothing wrong.
//
// It walks the body once, by hand: every request body goes through it,
// and walking it token by token with encoding/json cost as much as
// decoding it.
func checkKeys(body []byte, fields fieldSet) error {
	k := keyChecker{b: body, fields: fields}
	err := k.value(0)
	if errors.Is(err, errSyntax) {
		return nil
	}
	return err
}

// errSyntax stops keyChecker at malformed JSON, which the decoder reports.
var errSyntax = errors.New("malformed JSON")

type keyChecker struct {
	b      []byte
	i      int
	fields fieldSet
}

func (k *keyChecker) space() {
	for k.i < len(k.b) {
		switch k.b[k.i] {
		case ' ', '\t', '\n', '\r':
			k.i++
		default:
			return
		}
	}
}

// value walks the value at k.i, which is nested depth levels deep.
func (k *keyChecker) value(depth int) error {
	k.space()
	if k.i >= len(k.b) {
		return errSyntax
	}
	switch k.b[k.i] {
	case '{':
		if depth+1 > maxDepth {
			return fmt.Errorf("%w: the body nests deeper than %d levels", domain.ErrInvalid, maxDepth)
		}
		return k.object(depth + 1)
	case '[':
		if depth+1 > maxDepth {
			return fmt.Errorf("%w: the body nests deeper than %d levels", domain.ErrInvalid, maxDepth)
		}
		return k.array(depth + 1)
	case '"':
		_, _, err := k.str()
		return err
	}
	// A number or a literal: up to the next delimiter.
	start := k.i
	for k.i < len(k.b) {
		switch k.b[k.i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			if k.i == start {
				return errSyntax
			}
			return nil
		case '{', '[', '"', ':':
			return errSyntax
		}
		k.i++
	}
	return nil
}

// str reads the string at k.i: its raw bytes between the quotes, and
// whether they hold an escape.
func (k *keyChecker) str() (raw []byte, escaped bool, err error) {
	k.i++ // the opening quote
	start := k.i
	for k.i < len(k.b) {
		switch c := k.b[k.i]; {
		case c == '"':
			k.i++
			return k.b[start : k.i-1], escaped, nil
		case c == '\\':
			escaped = true
			k.i += 2
		case c < 0x20:
			return nil, false, errSyntax
		default:
			k.i++
		}
	}
	return nil, false, errSyntax
}

func (k *keyChecker) array(depth int) error {
	if k.open(']') {
		return nil
	}
	for {
		if err := k.value(depth); err != nil {
			return err
		}
		if done, err := k.after(']'); done || err != nil {
			return err
		}
	}
}

// open steps over an array's or object's opening bracket and reports
// whether closer follows at once: an empty one, stepped over too.
func (k *keyChecker) open(closer byte) bool {
	k.i++
	k.space()
	if k.i < len(k.b) && k.b[k.i] == closer {
		k.i++
		return true
	}
	return false
}

// after reads what follows a member of an array or object: a comma, with
// more to come, or closer, and done.
func (k *keyChecker) after(closer byte) (done bool, err error) {
	k.space()
	if k.i >= len(k.b) {
		return false, errSyntax
	}
	switch k.b[k.i] {
	case ',':
		k.i++
		return false, nil
	case closer:
		k.i++
		return true, nil
	}
	return false, errSyntax
}

func (k *keyChecker) object(depth int) error {
	if k.open('}') {
		return nil
	}
	var seen []string // an object of a request holds a handful of keys
	for {
		k.space()
		if k.i >= len(k.b) || k.b[k.i] != '"' {
			return errSyntax
		}
		raw, escaped, err := k.str()
		if err != nil {
			return err
		}
		key := string(raw)
		if escaped {
			if json.Unmarshal(k.b[k.i-len(raw)-2:k.i], &key) != nil {
				return errSyntax
			}
		}
		folded := foldKey(key)
		if slices.Contains(seen, folded) {
			return fmt.Errorf("%w: key %q appears twice", domain.ErrInvalid, folded)
		}
		if want, ok := k.fields[folded]; ok && want != key {
			return fmt.Errorf("%w: key %q must be spelled %q", domain.ErrInvalid, key, want)
		}
		seen = append(seen, folded)
		k.space()
		if k.i >= len(k.b) || k.b[k.i] != ':' {
			return errSyntax
		}
		k.i++
		if err := k.value(depth); err != nil {
			return err
		}
		if done, err := k.after('}'); done || err != nil {
			return err
		}
	}
}

// foldKey maps every rune of k to the smallest rune of its case-folding
// orbit, so two keys fold to the same string exactly when encoding/json
// would take them for the same field name. For ASCII that is the upper
// case (the orbits of k and s also hold U+212A and U+017F, both larger).
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(k)
	}
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

// loneSurrogate reports whether a JSON text holds a \u escape of a UTF-16
// surrogate that is not half of a high-low pair. A backslash outside a
// string is a syntax error, which Decode reports, so every one counts.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(b) || b[i] != 'u' {
			continue
		}
		r, ok := escapedRune(b[i+1:])
		if !ok {
			continue
		}
		i += 4 // the last hex digit
		switch {
		case !utf16.IsSurrogate(r):
			continue
		case r >= 0xdc00:
			return true // a low surrogate first
		}
		if i+2 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
			return true
		}
		if lo, ok := escapedRune(b[i+3:]); !ok || lo < 0xdc00 || lo > 0xdfff {
			return true
		}
		i += 6
	}
	return false
}

// escapedRune reads the four hex digits of a \u escape.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
