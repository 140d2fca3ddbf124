package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
)

// The customer-center page: plain HTML, CSS and JavaScript, built into the
// binary, with no build step and nothing fetched from elsewhere. It reads
// the same REST routes as any client and listens at GET /events.
//
//go:embed web
var webFiles embed.FS

// pageAsset is one embedded file, ready to serve.
type pageAsset struct {
	body        []byte
	etag        string
	contentType string
}

// pageAssets are the files under web/, by name ("index.html", "app.js").
var pageAssets = loadPageAssets()

func loadPageAssets() map[string]pageAsset {
	out := map[string]pageAsset{}
	err := fs.WalkDir(webFiles, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := webFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		out[strings.TrimPrefix(p, "web/")] = pageAsset{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, contentType: ctype}
		return nil
	})
	if err != nil {
		panic("embedded page: " + err.Error())
	}
	return out
}

// pageCSP lets the page load only its own script and styles and talk only
// to this api.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// isPagePath says whether path is the page or one of its files: served
// without a token, since they hold no data (the page asks for one).
func isPagePath(p string) bool {
	return p == "/" || strings.HasPrefix(p, "/assets/")
}

// page answers GET /: the customer-center page.
func (a *api) page(w http.ResponseWriter, r *http.Request) {
	servePageAsset(w, r, "index.html")
}

// asset answers GET /assets/{name}: the page's script and styles.
func (a *api) asset(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "*")
	if name == "index.html" || strings.Contains(name, "/") {
		name = "" // the page has no folders, and is served at / only
	}
	servePageAsset(w, r, name)
}

func servePageAsset(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := pageAssets[name]
	if !ok {
		writeProblem(w, http.StatusNotFound, "not-found", "no route "+r.URL.Path)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
