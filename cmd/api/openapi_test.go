package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// TestOpenAPIRoutes checks the router and the document name the same
// routes: every method and path the router serves is an operation of the
// document, and every operation of the document is a route.
func TestOpenAPIRoutes(t *testing.T) {
	spec := loadSpec(t)
	a := &api{maxInflight: 1, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	routes, ok := a.routes().(chi.Routes)
	if !ok {
		t.Fatalf("routes() is a %T, not a chi router", a.routes())
	}
	router := map[string]string{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		router[method+" "+routeKey(route)] = method + " " + route
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	document := map[string]string{}
	for _, o := range spec.ops {
		document[o.method+" "+routeKey(o.path)] = o.method + " " + o.path
	}
	var missing, extra []string
	for k, route := range router {
		if _, ok := document[k]; !ok {
			missing = append(missing, route)
		}
	}
	for k, op := range document {
		if _, ok := router[k]; !ok {
			extra = append(extra, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, r := range missing {
		t.Errorf("the router serves %s, which the document lacks", r)
	}
	for _, o := range extra {
		t.Errorf("the document describes %s, which the router lacks", o)
	}
	if len(router) == 0 {
		t.Error("the router has no routes")
	}
}

// routeKey writes a route so that chi's patterns and the document's paths
// compare: every parameter, and chi's trailing wildcard, becomes {}.
func routeKey(route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if s == "*" || isTemplate(s) {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// TestOpenAPIDocument checks the document is well formed and says what the
// code does: every schema compiles under JSON Schema 2020-12, every $ref
// resolves, every operation is named once, admits known roles and
// declares its path parameters; the problem codes, statuses, labels and
// limits are the code's own.
func TestOpenAPIDocument(t *testing.T) {
	spec := loadSpec(t)
	if v := spec.doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", v)
	}

	// Every $ref resolves; every schema compiles.
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		switch n := v.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				if _, found := spec.lookup(strings.TrimPrefix(ref, "#")); !strings.HasPrefix(ref, "#/") || !found {
					t.Errorf("%s: $ref %q resolves to nothing", ptr, ref)
				}
			}
			for k, c := range n {
				walk(c, ptr+"/"+escapePointer(k))
			}
		case []any:
			for i, c := range n {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(spec.doc, "")
	for name := range spec.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		spec.schema(t, "/components/schemas/"+escapePointer(name))
	}
	spec.schema(t, "/components/securitySchemes/bearer/x-claims")

	roles := []string{"anyone", roleCustomer, roleStaff, roleAdmin}
	ids := map[string]bool{}
	for _, o := range spec.ops {
		name := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or used twice", name, id)
		}
		ids[id] = true
		admitted, _ := o.op["x-roles"].([]any)
		if len(admitted) == 0 {
			t.Errorf("%s: no x-roles", name)
		}
		for _, r := range admitted {
			if !slices.Contains(roles, r.(string)) {
				t.Errorf("%s: unknown role %v", name, r)
			}
		}
		if slices.Contains(admitted, any("anyone")) != (o.op["security"] != nil) {
			t.Errorf("%s: x-roles [anyone] and security: [] go together", name)
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(o.path, -1) {
			if !slices.ContainsFunc(o.params, func(p specParam) bool { return p.in == "path" && p.name == m[1] && p.required }) {
				t.Errorf("%s: path parameter %s is not declared required", name, m[1])
			}
		}
		for _, p := range o.params {
			if p.in == "path" && !strings.Contains(o.path, "{"+p.name+"}") {
				t.Errorf("%s: path parameter %s is not in the path", name, p.name)
			}
			spec.schema(t, p.ptr+"/schema")
		}
		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s: no responses", name)
		}
		for status, r := range responses {
			resp, rptr := spec.resolve(t, r, o.ptr+"/responses/"+status)
			if resp["description"] == nil {
				t.Errorf("%s %s: no description", name, status)
			}
			content, _ := resp["content"].(map[string]any)
			for mt := range content {
				spec.schema(t, rptr+"/content/"+escapePointer(mt)+"/schema")
			}
			headers, _ := resp["headers"].(map[string]any)
			for h, v := range headers {
				_, hptr := spec.resolve(t, v, rptr+"/headers/"+escapePointer(h))
				spec.schema(t, hptr+"/schema")
			}
		}
	}

	// The problem codes are the api's own, and no other.
	want := map[string]bool{}
	for _, c := range codes {
		want[c.code] = true
	}
	for code := range titles {
		if code != "internal" && !want[code] {
			t.Errorf("problem code %s has a title but no error maps to it", code)
		}
	}
	checkEnum(t, spec, "/components/schemas/Problem/properties/code/enum", slices.Collect(maps.Keys(want)))

	statuses := []domain.Status{domain.StatusPlaced, domain.StatusAccepted, domain.StatusCancelling, domain.StatusCancelled, domain.StatusFulfilled}
	var names, labels []string
	for _, s := range statuses {
		names = append(names, string(s))
		labels = append(labels, s.Label())
		if got, _ := spec.lookup("/components/schemas/Status/x-labels/" + string(s)); got != s.Label() {
			t.Errorf("x-labels %s: %v, want %s", s, got, s.Label())
		}
	}
	checkEnum(t, spec, "/components/schemas/Status/enum", names)
	checkEnum(t, spec, "/components/schemas/StatusLabel/enum", labels)
	checkEnum(t, spec, "/components/schemas/Cancel/properties/status/enum", []string{string(domain.StatusCancelled), domain.StatusCancelling.Label()})
	checkEnum(t, spec, "/components/schemas/FulfilMethod/enum", []string{string(domain.Delivery), string(domain.StoreVisit)})

	// The limits are the code's.
	for _, c := range []struct {
		ptr  string
		want int
	}{
		{"/components/schemas/Id/maxLength", domain.MaxIDLen},
		{"/components/schemas/Name/maxLength", domain.MaxNameLen},
		{"/components/schemas/CreateProduct/properties/stock/maximum", domain.MaxStock},
		{"/components/schemas/Restock/properties/quantity/maximum", domain.MaxStock},
		{"/components/schemas/CreateStore/properties/capacity/maximum", domain.MaxCapacity},
		{"/components/schemas/Store/properties/capacity/maximum", domain.MaxCapacity},
		{"/components/schemas/Reject/properties/reason/maxLength", domain.MaxReasonLen},
		{"/components/schemas/PositionOrEmpty/maxLength", maxPositionLen},
		{"/components/parameters/Idempotency-Key/schema/maxLength", shop.MaxKeyLen},
		{"/paths/~1reservations/get/parameters/1/schema/maximum", projections.MaxLimit},
		{"/paths/~1reservations/get/responses/200/content/application~1json/schema/maxItems", projections.MaxLimit},
	} {
		got, _ := spec.lookup(c.ptr)
		if fmt.Sprint(got) != strconv.Itoa(c.want) {
			t.Errorf("%s is %v, want %d", c.ptr, got, c.want)
		}
	}
}

func checkEnum(t *testing.T, spec *openAPISpec, ptr string, want []string) {
	t.Helper()
	raw, _ := spec.lookup(ptr)
	list, _ := raw.([]any)
	var got []string
	for _, v := range list {
		got = append(got, fmt.Sprint(v))
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s is %v, want %v", ptr, got, want)
	}
}
