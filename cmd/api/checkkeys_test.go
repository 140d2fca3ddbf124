package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/tshop/tshop/domain"
)

// checkKeysByTokens is the straightforward checkKeys: encoding/json's
// tokens, one at a time. The hand-written walk must find exactly what it
// finds in every well-formed body.
func checkKeysByTokens(body []byte, fields fieldSet) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.key {
				if key, ok := tok.(string); ok {
					k := foldKey(key)
					if top.keys[k] {
						return fmt.Errorf("%w: key %q appears twice", domain.ErrInvalid, k)
					}
					if want, ok := fields[k]; ok && want != key {
						return fmt.Errorf("%w: key %q must be spelled %q", domain.ErrInvalid, key, want)
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

// FuzzCheckKeys holds the one-pass key check to the token walk on every
// well-formed body: the same refusal, word for word, or none.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{
		`{"productId":"p1","location":{"lat":37.5,"lon":127}}`,
		`{"productId":"p1","productId":"p2"}`,
		`{"PRODUCTID":"p1"}`,
		`{"\u0070roductId":"p1","productid":1}`,
		`{"ſtock":1}`,
		`{"a":[{"b":1,"B":2}]}`,
		`{"a":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}`,
		`[{"x":1},{"x":1}]`,
		`{"a":"\"}","a":1}`,
		`{"k":true,"K":null}`,
		`{"quantity":-1.5e3,"quantity ":2}`,
		` { "x" : { } , "y" : [ ] } `,
	} {
		f.Add([]byte(s))
	}
	fields := fieldsOf(reflect.TypeFor[struct {
		ProductID string `json:"productId"`
		Stock     int    `json:"stock"`
		Quantity  int    `json:"quantity"`
		Location  struct {
			Lat float64 `json:"lat"`
			Lon float64 `json:"lon"`
		} `json:"location"`
	}]())
	f.Fuzz(func(t *testing.T, body []byte) {
		got := checkKeys(body, fields)
		if !json.Valid(body) {
			return // the decoder reports it; what checkKeys says is moot
		}
		want := checkKeysByTokens(body, fields)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("checkKeys(%s) = %v, want %v", body, got, want)
		}
	})
}

// The key check against the token-by-token walk it replaced, on a
// reservation body.
func BenchmarkCheckKeys(b *testing.B) {
	body := []byte(`{"productId":"galaxy-s26-256","customerId":"c-000123","location":{"lat":37.4979,"lon":127.0276}}`)
	fields := fieldsOf(reflect.TypeFor[createReservationBody]())
	for _, c := range []struct {
		name  string
		check func([]byte, fieldSet) error
	}{{"walk", checkKeys}, {"tokens", checkKeysByTokens}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.check(body, fields); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
