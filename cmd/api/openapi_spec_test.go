package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tshop/tshop/openapi"
)

// specURL is the base URL the document's schemas are compiled under; every
// $ref in it is local, so nothing is ever fetched.
const specURL = "https://tshop.test/openapi.json"

// openAPISpec is the api's OpenAPI document, ready to check requests and
// answers against: its operations, and its schemas compiled by JSON
// Schema 2020-12 with formats asserted. It records which documented
// status of which operation a test has seen.
type openAPISpec struct {
	doc      map[string]any
	ops      []*specOp
	compiler *jsonschema.Compiler

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
	seen    map[string]bool
}

// specOp is one operation: a method on a path of the document.
type specOp struct {
	method string // upper case
	path   string // as the document writes it, "/products/{id}"
	ptr    string // JSON pointer to the operation object
	op     map[string]any
	params []specParam
}

// specParam is a parameter of an operation, with the path item's ones.
type specParam struct {
	name, in string
	required bool
	ptr      string // JSON pointer to the parameter object
}

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadSpec reads the embedded document, compiles nothing yet, and lists
// its operations.
func loadSpec(t testing.TB) *openAPISpec {
	t.Helper()
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		t.Fatal("openapi.json is not an object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specURL, doc); err != nil {
		t.Fatal(err)
	}
	s := &openAPISpec{doc: doc, compiler: c, schemas: map[string]*jsonschema.Schema{}, seen: map[string]bool{}}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		itemPtr := "/paths/" + escapePointer(path)
		pathItem, itemPtr := s.resolve(t, item, itemPtr)
		for _, m := range methods {
			op, ok := pathItem[m].(map[string]any)
			if !ok {
				continue
			}
			o := &specOp{method: strings.ToUpper(m), path: path, ptr: itemPtr + "/" + m, op: op}
			o.params = append(s.params(t, pathItem["parameters"], itemPtr+"/parameters"), s.params(t, op["parameters"], o.ptr+"/parameters")...)
			s.ops = append(s.ops, o)
		}
	}
	slices.SortFunc(s.ops, func(a, b *specOp) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return s
}

func (s *openAPISpec) params(t testing.TB, list any, ptr string) []specParam {
	items, _ := list.([]any)
	var out []specParam
	for i, it := range items {
		p, pptr := s.resolve(t, it, ptr+"/"+strconv.Itoa(i))
		name, _ := p["name"].(string)
		in, _ := p["in"].(string)
		required, _ := p["required"].(bool)
		out = append(out, specParam{name: name, in: in, required: required, ptr: pptr})
	}
	return out
}

// escapePointer escapes one token of a JSON pointer.
func escapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// lookup returns the value at a JSON pointer of the document.
func (s *openAPISpec) lookup(ptr string) (any, bool) {
	var v any = s.doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = n[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			v = n[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// resolve follows the $ref of a non-schema object (a path item, parameter,
// response or header) to the object itself, returning it and its pointer.
func (s *openAPISpec) resolve(t testing.TB, v any, ptr string) (map[string]any, string) {
	t.Helper()
	for range 10 {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("openapi: %s is not an object", ptr)
		}
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj, ptr
		}
		if !strings.HasPrefix(ref, "#/") {
			t.Fatalf("openapi: %s: $ref %q is not local", ptr, ref)
		}
		ptr = strings.TrimPrefix(ref, "#")
		if v, ok = s.lookup(ptr); !ok {
			t.Fatalf("openapi: $ref %q resolves to nothing", ref)
		}
	}
	t.Fatalf("openapi: %s: $ref chain too long", ptr)
	return nil, ""
}

// schema compiles the schema at a JSON pointer of the document.
func (s *openAPISpec) schema(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[ptr]; ok {
		return sch
	}
	var frag strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		frag.WriteString("/" + url.PathEscape(tok))
	}
	sch, err := s.compiler.Compile(specURL + "#" + frag.String())
	if err != nil {
		t.Fatalf("openapi: compile %s: %v", ptr, err)
	}
	s.schemas[ptr] = sch
	return sch
}

// find returns the operation of a request, or nil and whether some
// operation has the path (with another method).
func (s *openAPISpec) find(method, path string) (op *specOp, pathKnown bool) {
	segs := strings.Split(path, "/")
	for _, o := range s.ops {
		tmpl := strings.Split(o.path, "/")
		if len(tmpl) != len(segs) {
			continue
		}
		match := true
		for i, tok := range tmpl {
			if isTemplate(tok) {
				match = match && segs[i] != ""
			} else {
				match = match && tok == segs[i]
			}
		}
		if !match {
			continue
		}
		pathKnown = true
		if o.method == method {
			return o, true
		}
	}
	return nil, pathKnown
}

func isTemplate(tok string) bool { return strings.HasPrefix(tok, "{") && strings.HasSuffix(tok, "}") }

// exchange is one request the api answered.
type exchange struct {
	method string
	target string // path and query, as sent
	header http.Header
	body   []byte
	res    response
}

// apiHeaders are the response headers the document must account for
// wherever the api sends them.
var apiHeaders = []string{"Location", "Tshop-Position", "Idempotent-Replayed", "Retry-After", "WWW-Authenticate", "Cache-Control"}

// checkResponse lists every way the answer departs from the document: an
// undocumented status for the route, a missing, undocumented or invalid
// header, an undocumented content type, or a body its schema refuses.
func (s *openAPISpec) checkResponse(t testing.TB, x exchange) []string {
	t.Helper()
	u, err := url.Parse(x.target)
	if err != nil {
		return []string{err.Error()}
	}
	status := strconv.Itoa(x.res.Status)
	op, pathKnown := s.find(x.method, u.EscapedPath())
	var resp map[string]any
	var rptr string
	switch {
	case op != nil:
		raw, ok := op.op["responses"].(map[string]any)[status]
		if !ok {
			return []string{fmt.Sprintf("status %s is not documented for %s %s", status, op.method, op.path)}
		}
		resp, rptr = s.resolve(t, raw, op.ptr+"/responses/"+status)
		s.mark(op.method + " " + op.path + " " + status)
	case pathKnown && x.res.Status == http.StatusMethodNotAllowed:
		resp, rptr = s.resolve(t, map[string]any{"$ref": "#/components/responses/MethodNotAllowed"}, "")
		s.mark("unrouted 405")
	case !pathKnown && x.res.Status == http.StatusNotFound:
		resp, rptr = s.resolve(t, map[string]any{"$ref": "#/components/responses/NoRoute"}, "")
		s.mark("unrouted 404")
	default:
		return []string{fmt.Sprintf("%s %s matches no documented operation and answered %s", x.method, u.Path, status)}
	}
	var errs []string
	headers, _ := resp["headers"].(map[string]any)
	for _, name := range apiHeaders {
		if _, ok := headers[name]; !ok && len(x.res.Header.Values(name)) > 0 {
			errs = append(errs, fmt.Sprintf("header %s: %q is sent but not documented for %s", name, x.res.Header.Get(name), status))
		}
	}
	for name, h := range headers {
		if strings.EqualFold(name, "Content-Type") {
			continue
		}
		hdr, hptr := s.resolve(t, h, rptr+"/headers/"+escapePointer(name))
		vals := x.res.Header.Values(name)
		if len(vals) == 0 {
			if req, _ := hdr["required"].(bool); req {
				errs = append(errs, fmt.Sprintf("header %s: required, missing", name))
			}
			continue
		}
		if len(vals) > 1 {
			errs = append(errs, fmt.Sprintf("header %s: sent %d times", name, len(vals)))
			continue
		}
		if err := s.validateText(t, hptr+"/schema", vals[0]); err != nil {
			errs = append(errs, fmt.Sprintf("header %s: %q: %v", name, vals[0], err))
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(x.res.Body) > 0 {
			errs = append(errs, "a body is sent where none is documented")
		}
		return errs
	}
	mt, _, err := mime.ParseMediaType(x.res.Header.Get("Content-Type"))
	if err != nil {
		return append(errs, fmt.Sprintf("Content-Type %q: %v", x.res.Header.Get("Content-Type"), err))
	}
	if _, ok := content[mt]; !ok {
		return append(errs, fmt.Sprintf("Content-Type %s is not documented for %s", mt, status))
	}
	if !isJSONMedia(mt) {
		return errs
	}
	body, err := jsonschema.UnmarshalJSON(bytes.NewReader(x.res.Body))
	if err != nil {
		return append(errs, fmt.Sprintf("body is not JSON: %v", err))
	}
	if err := s.schema(t, rptr+"/content/"+escapePointer(mt)+"/schema").Validate(body); err != nil {
		errs = append(errs, fmt.Sprintf("body: %v", err))
	}
	return errs
}

// jsonNumberText is a number as JSON writes it.
var jsonNumberText = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func isJSONMedia(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

// validateText validates a header or parameter, which HTTP carries as text,
// as the type its schema names.
func (s *openAPISpec) validateText(t testing.TB, schemaPtr, text string) error {
	t.Helper()
	raw, _ := s.lookup(schemaPtr)
	sch, _ := raw.(map[string]any)
	var v any = text
	switch sch["type"] {
	case "integer", "number":
		if !jsonNumberText.MatchString(text) {
			return fmt.Errorf("not a number")
		}
		v = json.Number(text)
	}
	return s.schema(t, schemaPtr).Validate(v)
}

// checkRequest says why the document would refuse the request, or nil: its
// path, query and header parameters and its body, against their schemas.
// Authorization is not looked at.
func (s *openAPISpec) checkRequest(t testing.TB, x exchange) error {
	t.Helper()
	u, err := url.Parse(x.target)
	if err != nil {
		return err
	}
	op, _ := s.find(x.method, u.EscapedPath())
	if op == nil {
		return fmt.Errorf("no operation %s %s", x.method, u.Path)
	}
	segs := strings.Split(u.EscapedPath(), "/")
	tmpl := strings.Split(op.path, "/")
	query := u.Query()
	for _, p := range op.params {
		var vals []string
		switch p.in {
		case "path":
			for i, tok := range tmpl {
				if tok == "{"+p.name+"}" {
					v, err := url.PathUnescape(segs[i])
					if err != nil {
						return fmt.Errorf("path %s: %v", p.name, err)
					}
					vals = []string{v}
				}
			}
		case "query":
			vals = query[p.name]
		case "header":
			vals = x.header.Values(p.name)
		}
		if len(vals) == 0 {
			if p.required {
				return fmt.Errorf("%s parameter %s is required", p.in, p.name)
			}
			continue
		}
		if len(vals) > 1 {
			return fmt.Errorf("%s parameter %s given %d times", p.in, p.name, len(vals))
		}
		if err := s.validateText(t, p.ptr+"/schema", vals[0]); err != nil {
			return fmt.Errorf("%s parameter %s %q: %v", p.in, p.name, vals[0], err)
		}
	}
	rb, ok := op.op["requestBody"]
	if !ok {
		return nil
	}
	body, bptr := s.resolve(t, rb, op.ptr+"/requestBody")
	if len(x.body) == 0 {
		if req, _ := body["required"].(bool); req {
			return fmt.Errorf("a body is required")
		}
		return nil
	}
	mt, _, err := mime.ParseMediaType(x.header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("Content-Type %q: %v", x.header.Get("Content-Type"), err)
	}
	if _, ok := body["content"].(map[string]any)[mt]; !ok {
		return fmt.Errorf("Content-Type %s is not documented", mt)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(x.body))
	if err != nil {
		return fmt.Errorf("body is not one JSON value: %v", err)
	}
	return s.schema(t, bptr+"/content/"+escapePointer(mt)+"/schema").Validate(v)
}

func (s *openAPISpec) mark(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[key] = true
}

// unseen lists every documented status of every operation no answer had,
// and the unrouted answers none had.
func (s *openAPISpec) unseen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.ops {
		for status := range o.op["responses"].(map[string]any) {
			if key := o.method + " " + o.path + " " + status; !s.seen[key] {
				out = append(out, key)
			}
		}
	}
	for _, key := range []string{"unrouted 404", "unrouted 405"} {
		if !s.seen[key] {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}
