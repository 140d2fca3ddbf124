package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; scripts/ensure-chromium.sh installs it
// (make test runs it first). TSHOP_CHROMIUM names another build.
func chromiumPath() string {
	if p := os.Getenv("TSHOP_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser starts headless Chromium with a profile of its own and opens one
// tab, for the rest of the test. Uncaught exceptions and console errors of
// the page are collected in pageErrors.
func browser(t *testing.T) (ctx context.Context, pageErrors func() []string) {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("headless Chromium is needed at %s for the customer-center page test: run scripts/ensure-chromium.sh as root (apt-get install chromium): %v", path, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	var mu sync.Mutex
	var errs []string
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			errs = append(errs, "exception: "+ev.ExceptionDetails.Text+" "+describe(ev.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, describe(a))
				}
				errs = append(errs, "console.error: "+strings.Join(args, " "))
			}
		}
	}))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser: it runs on the context that
	// lives as long as the browser, without a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 1000)); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Value)
}

// step runs actions in the page with a timeout of their own.
func step(t *testing.T, ctx context.Context, what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitJS waits until the JavaScript expression is truthy in the page. If
// it does not become so, the test fails showing what the page shows.
func waitJS(t *testing.T, ctx context.Context, what string, timeout time.Duration, expr string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, timeout+time.Second)
	defer cancel()
	err := chromedp.Do(sctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("wait for %s: %v\nthe page shows:\n%s", what, err, text)
	}
}

// evalJS evaluates expr in the page.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// An agent opens the customer center in a browser, signs in with an admin
// token, and watches: a reservation made through the api appears without
// a reload, is found by its customer with its store, distance and history,
// and shows 예약취소완료 once the customer cancels it. The page's
// screenshot is kept as an artifact.
func TestCustomerCenterPage(t *testing.T) {
	ctx, pageErrors := browser(t)
	a := customerCenter(t)
	admin := bearer(t, "ops-1", roleAdmin, "")

	// Some load across the country, so the charts and the map have
	// something to show.
	for i, at := range [][2]float64{{37.50, 127.03}, {37.57, 126.99}, {37.56, 126.90}, {35.18, 129.07}, {35.87, 128.60}, {36.35, 127.38}, {37.49, 127.02}} {
		customer := fmt.Sprintf("c-%d", 1001+i)
		body := fmt.Sprintf(`{"productId":%q,"customerId":%q,"location":{"lat":%v,"lon":%v}}`,
			[]string{"galaxy-s26-256", "iphone-17-128", "pixel-11-128"}[i%3], customer, at[0], at[1])
		if res := a.do("POST", "/reservations", body, bearer(t, customer, roleCustomer, "")...); res.Status != 201 {
			t.Fatalf("reserve for %s: %d %s", customer, res.Status, res.Body)
		}
	}

	step(t, ctx, "open the page", 20*time.Second, chromedp.Navigate(a.URL+"/"))
	waitJS(t, ctx, "the token form", 10*time.Second, `!document.querySelector('#auth').hidden`)
	step(t, ctx, "sign in", 10*time.Second,
		chromedp.SetValue(chromedp.ID("token"), strings.TrimPrefix(admin[1], "Bearer ")),
		chromedp.Click(chromedp.CSS(`#auth-form button[type=submit]`)))
	waitJS(t, ctx, "the live stream", 15*time.Second, `document.querySelector('#live').dataset.state === 'live'`)
	// The browser's language is English; the agent picks Korean.
	step(t, ctx, "switch to Korean", 5*time.Second, chromedp.Click(chromedp.CSS(`.lang button[data-lang=ko]`)))
	waitJS(t, ctx, "the stock chart", 15*time.Second, `document.querySelectorAll('#stock-chart g[data-product]').length === 3`)
	waitJS(t, ctx, "the store map", 15*time.Second, `document.querySelectorAll('#store-map circle.store').length === 9`)
	if tok := evalJS[string](t, ctx, `location.href + document.cookie`); strings.Contains(tok, "eyJ") {
		t.Errorf("the token shows in the address or a cookie: %s", tok)
	}
	// Marks this document: were the page reloaded, the mark would be gone.
	evalJS[bool](t, ctx, `window.tshopTestMark = true`)

	// A reservation made now appears live.
	customer := bearer(t, "c-2001", roleCustomer, "")
	res := a.do("POST", "/reservations", `{"productId":"galaxy-s26-256","customerId":"c-2001","location":{"lat":37.4985,"lon":127.0280}}`, customer...)
	if res.Status != 201 {
		t.Fatalf("reserve: %d %s", res.Status, res.Body)
	}
	var r reservationView
	res.JSON(t, &r)
	row := `#feed li[data-id=` + jsString(r.ID.String()) + `]`
	waitJS(t, ctx, "the reservation in the live feed", 15*time.Second, `!!document.querySelector('`+row+`')`)
	waitJS(t, ctx, "예약접수완료 in the live feed", 15*time.Second,
		`(document.querySelector('`+row+` .status[data-status=ACCEPTED]') || {}).textContent === '예약접수완료'`)

	// The agent finds it by its customer: status, store, distance, history.
	step(t, ctx, "search for the customer", 10*time.Second,
		chromedp.SetValue(chromedp.ID("q"), "c-2001"),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)))
	waitJS(t, ctx, "the customer's reservation in the results", 10*time.Second,
		`!!document.querySelector('#results tr[data-id=`+jsString(r.ID.String())+`]')`)
	waitJS(t, ctx, "the reservation's details", 10*time.Second,
		`document.querySelector('#d-id').textContent === `+jsString(r.ID.String())+
			` && document.querySelector('#d-store').textContent.includes('T world Gangnam')`+
			` && / km$/.test(document.querySelector('#d-distance').textContent)`+
			` && !!document.querySelector('#timeline li[data-type=ReservationAccepted]')`)
	waitJS(t, ctx, "the store and the customer on the map", 10*time.Second,
		`!!document.querySelector('#store-map circle.ring') && !!document.querySelector('#store-map rect.customer')`)

	// The customer cancels; the page follows without a reload.
	if res := a.do("PATCH", "/reservations/"+r.ID.String(), `{"status":"CANCELLED"}`, customer...); res.Status != 202 {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	waitJS(t, ctx, "예약취소완료 in the live feed", 15*time.Second,
		`(document.querySelector('`+row+` .status[data-status=CANCELLED]') || {}).textContent === '예약취소완료'`)
	waitJS(t, ctx, "예약취소완료 in the details and the history", 15*time.Second,
		`document.querySelector('#d-status').textContent === '예약취소완료'`+
			` && !!document.querySelector('#timeline li[data-type=CancelRequested]')`+
			` && !!document.querySelector('#timeline li[data-type=StockRestored]')`+
			` && document.querySelector('#d-store').textContent.includes('T world Gangnam')`)
	waitJS(t, ctx, "예약취소완료 in the results", 10*time.Second,
		`(document.querySelector('#results tr[data-id=`+jsString(r.ID.String())+`] .status') || {}).dataset?.status === 'CANCELLED'`)
	if !evalJS[bool](t, ctx, `window.tshopTestMark === true`) {
		t.Error("the page was reloaded")
	}

	// In English the statuses read as such, with the Korean label beside.
	step(t, ctx, "switch to English", 5*time.Second, chromedp.Click(chromedp.CSS(`.lang button[data-lang=en]`)))
	waitJS(t, ctx, "English labels", 5*time.Second,
		`document.documentElement.lang === 'en' && document.querySelector('`+row+` .status').textContent === 'Cancelled예약취소완료'`)
	step(t, ctx, "switch back to Korean", 5*time.Second, chromedp.Click(chromedp.CSS(`.lang button[data-lang=ko]`)))
	waitJS(t, ctx, "Korean labels", 5*time.Second, `document.querySelector('`+row+` .status').textContent === '예약취소완료'`)

	png := screenshot(t, ctx)
	for _, path := range artifactPaths(t) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the customer-center page: %s", path)
	}
	for _, e := range pageErrors() {
		t.Errorf("page error: %s", e)
	}
}

// screenshot is a PNG of the whole page.
func screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("the screenshot is not a PNG")
	}
	return png
}

// artifactPaths are where the screenshot is kept: artifacts/ at the root
// of the repository (ignored by git), and $TSHOP_ARTIFACTS when set.
func artifactPaths(t *testing.T) []string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	paths := []string{filepath.Join(dir, "artifacts", "customer-center.png")}
	if d := os.Getenv("TSHOP_ARTIFACTS"); d != "" {
		paths = append(paths, filepath.Join(d, "customer-center.png"))
	}
	return paths
}
