package plot_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// doc is what a test needs to know of an SVG document.
type doc struct {
	root     string
	elements map[string]int // start elements by local name
	text     string         // all character data, in order
}

// parse decodes b to EOF, failing the test on any XML error.
func parse(t *testing.T, b []byte) doc {
	t.Helper()
	d := doc{elements: map[string]int{}}
	var text strings.Builder
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("invalid XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if d.root == "" {
				d.root = tok.Name.Local
			}
			d.elements[tok.Name.Local]++
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				text.WriteString(s + "\n")
			}
		}
	}
	d.text = text.String()
	if d.root != "svg" {
		t.Fatalf("root element = %q, want svg", d.root)
	}
	if bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Inf")) {
		t.Errorf("output holds a non-finite number:\n%s", b)
	}
	return d
}

// only fails if d uses an element other than plain drawing ones.
func only(t *testing.T, d doc) {
	t.Helper()
	allowed := map[string]bool{"svg": true, "title": true, "rect": true, "line": true, "polyline": true, "text": true}
	for name := range d.elements {
		if !allowed[name] {
			t.Errorf("uses <%s>", name)
		}
	}
}

// nan is a float64 NaN.
var nan = math.NaN()
