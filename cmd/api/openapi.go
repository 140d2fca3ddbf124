package main

import (
	"net/http"

	"github.com/tshop/tshop/openapi"
)

// The paths of the OpenAPI document, served without authentication.
const (
	openAPIYAMLPath = "/openapi.yaml"
	openAPIJSONPath = "/openapi.json"
)

// isDocumentPath reports whether path serves the OpenAPI document.
func isDocumentPath(path string) bool {
	return path == openAPIYAMLPath || path == openAPIJSONPath
}

// serveOpenAPIYAML answers the OpenAPI document that describes this api.
func serveOpenAPIYAML(w http.ResponseWriter, r *http.Request) {
	writeDocument(w, "application/yaml", openapi.YAML)
}

// serveOpenAPIJSON answers the same document as JSON.
func serveOpenAPIJSON(w http.ResponseWriter, r *http.Request) {
	doc, err := openapi.JSON()
	if err != nil {
		// The document's tests make this unreachable.
		panic(err)
	}
	writeDocument(w, "application/json", doc)
}

func writeDocument(w http.ResponseWriter, contentType string, doc []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}
