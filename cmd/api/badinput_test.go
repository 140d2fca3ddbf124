package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/tshop/tshop/eventstore"
)

// badCase is one hostile or malformed request and the problem it must get.
type badCase struct {
	name   string
	method string
	path   string   // "{rid}" stands for the existing reservation's id
	header []string // name, value pairs sent on top of the harness's
	body   any      // nil: no body (and no Content-Type); string: sent as is
	status int
	code   string
}

const (
	inv      = "invalid-request"
	notFound = "not-found"
	conflict = "invalid-transition"
	exists   = "already-exists"
	media    = "unsupported-media-type"
	tooLarge = "payload-too-large"

	unknownRID = "0b5d2c1e-8f3a-4c6b-9d7e-1a2b3c4d5e6f"
	rsv        = "/reservations/{rid}"
	restockP   = "/products/galaxy-s26-256/restock"
)

// Bodies that would be valid but for what a case does to them, so that a
// check that lets a case through shows up as a wrong status or a changed
// state rather than passing by accident.
const (
	newProduct = `{"id":"p-new","name":"New phone","stock":1}`
	newStore   = `{"id":"s-new","name":"New store","lat":37.5,"lon":127.0,"capacity":10}`
	newRes     = `{"productId":"galaxy-s26-256","customerId":"c-2","location":{"lat":37.56,"lon":126.97}}`
)

func product(stock string) string { return `{"id":"p-new","name":"New phone","stock":` + stock + `}` }
func productID(id string) string  { return `{"id":` + id + `,"name":"New phone","stock":1}` }
func quantity(q string) string    { return `{"quantity":` + q + `}` }
func status(s string) string      { return `{"status":` + s + `}` }
func method(m string) string      { return `{"method":` + m + `}` }

func store(lat, lon, capacity string) string {
	return `{"id":"s-new","name":"New store","lat":` + lat + `,"lon":` + lon + `,"capacity":` + capacity + `}`
}

func reserveAt(location string) string {
	return `{"productId":"galaxy-s26-256","customerId":"c-2","location":` + location + `}`
}

func reserveBy(productID, customerID string) string {
	return `{"productId":` + productID + `,"customerId":` + customerID + `,"location":{"lat":37.56,"lon":126.97}}`
}

func nested(depth int, open, close string) string {
	return `{"id":"p-new","name":"n","stock":1,"x":` + strings.Repeat(open, depth) + strings.Repeat(close, depth) + `}`
}

func badCases() []badCase {
	g65 := strings.Repeat("g", 65)
	huge := `{"id":"p-new","name":"` + strings.Repeat("a", 100<<10) + `","stock":1}`
	plain := []string{"Content-Type", "text/plain"}
	key := func(k string) []string { return []string{"Idempotency-Key", k} }
	cases := []badCase{
		// The shape of the body, on POST /products.
		{"malformed JSON", "POST", "/products", nil, `{"id" "p-new"}`, 400, inv},
		{"truncated JSON", "POST", "/products", nil, `{"id":"p-new","name":"n","stock":1`, 400, inv},
		{"truncated in a string", "POST", "/products", nil, `{"id":"p-ne`, 400, inv},
		{"empty body", "POST", "/products", nil, "", 400, inv},
		{"whitespace body", "POST", "/products", nil, " \n\t ", 400, inv},
		{"JSON null", "POST", "/products", nil, `null`, 400, inv},
		{"JSON array", "POST", "/products", nil, `[` + newProduct + `]`, 400, inv},
		{"JSON string", "POST", "/products", nil, `"p-new"`, 400, inv},
		{"JSON number", "POST", "/products", nil, `42`, 400, inv},
		{"JSON true", "POST", "/products", nil, `true`, 400, inv},
		{"byte order mark", "POST", "/products", nil, "\xef\xbb\xbf" + newProduct, 400, inv},
		{"unknown field", "POST", "/products", nil, `{"id":"p-new","name":"n","stock":1,"price":10}`, 400, inv},
		{"duplicate key", "POST", "/products", nil, `{"id":"p-new","id":"p-two","name":"n","stock":1}`, 400, inv},
		{"duplicate key spelt with an escape", "POST", "/products", nil, `{"id":"p-new","\u0069d":"p-two","name":"n","stock":1}`, 400, inv},
		{"duplicate key differing in case", "POST", "/products", nil, `{"id":"galaxy-s26-256","name":"n","stock":1,"ID":"galaxy-s26-256"}`, 400, inv},
		// encoding/json matches keys under Unicode simple folding, so "ſtock"
		// (U+017F long s) would land in stock and override the -1.
		{"duplicate key differing by Unicode folding", "POST", "/products", nil, `{"id":"galaxy-s26-256","name":"n","stock":-1,"ſtock":1}`, 400, inv},
		// Alone, a key in another case would fill its field all the same.
		{"key in upper case", "POST", restockP, nil, `{"QUANTITY":5}`, 400, inv},
		{"key in another case", "POST", "/reservations", nil, `{"productId":"galaxy-s26-256","customerID":"c-2","location":{"lat":37.56,"lon":126.97}}`, 400, inv},
		{"nested key in another case", "POST", "/reservations", nil, `{"productId":"galaxy-s26-256","customerId":"c-2","location":{"Lat":37.56,"lon":126.97}}`, 400, inv},
		{"key folded by Unicode", "POST", "/products", nil, `{"id":"p-new","name":"n","ſtock":1}`, 400, inv},
		{"trailing garbage", "POST", "/products", nil, newProduct + ` x`, 400, inv},
		{"trailing brace", "POST", "/products", nil, newProduct + `}`, 400, inv},
		{"two objects", "POST", "/products", nil, newProduct + `{"id":"p-two"}`, 400, inv},
		{"100 nested arrays", "POST", "/products", nil, nested(100, "[", "]"), 400, inv},
		{"100 nested objects", "POST", "/products", nil, nested(100, `{"a":`, "}"), 400, inv},
		{"body over 64KiB", "POST", "/products", nil, huge, 413, tooLarge},
		{"invalid UTF-8 in a string", "POST", "/products", nil, "{\"id\":\"p-new\",\"name\":\"S26 \xff\xfe\",\"stock\":1}", 400, inv},
		{"invalid UTF-8 between tokens", "POST", "/products", nil, "{\"id\":\"p-new\",\xc0\xaf\"name\":\"n\",\"stock\":1}", 400, inv},
		// Content types.
		{"text/plain", "POST", "/products", plain, newProduct, 415, media},
		{"empty Content-Type", "POST", "/products", []string{"Content-Type", ""}, newProduct, 415, media},
		{"no body and no Content-Type", "POST", "/products", nil, nil, 415, media},
		{"form", "POST", "/products", []string{"Content-Type", "application/x-www-form-urlencoded"}, `id=p-new&name=n&stock=1`, 415, media},
		{"multipart", "POST", "/products", []string{"Content-Type", "multipart/form-data; boundary=x"}, newProduct, 415, media},
		{"malformed media type", "POST", "/products", []string{"Content-Type", "application/"}, newProduct, 415, media},
		{"json-ish media type", "POST", "/products", []string{"Content-Type", "application/json-seq"}, newProduct, 415, media},
		{"huge body as text/plain", "POST", "/products", plain, huge, 415, media},
		// POST /products fields.
		{"stock NaN", "POST", "/products", nil, product("NaN"), 400, inv},
		{"stock Infinity", "POST", "/products", nil, product("Infinity"), 400, inv},
		{"stock 1e400", "POST", "/products", nil, product("1e400"), 400, inv},
		{"stock 99999999999999999999", "POST", "/products", nil, product("99999999999999999999"), 400, inv},
		{"stock over MaxStock", "POST", "/products", nil, product("1000000001"), 400, inv},
		{"stock negative", "POST", "/products", nil, product("-1"), 400, inv},
		{"stock 1.5", "POST", "/products", nil, product("1.5"), 400, inv},
		{"stock string", "POST", "/products", nil, product(`"5"`), 400, inv},
		{"stock bool", "POST", "/products", nil, product("true"), 400, inv},
		{"stock object", "POST", "/products", nil, product("{}"), 400, inv},
		{"stock null", "POST", "/products", nil, product("null"), 400, inv},
		{"stock missing", "POST", "/products", nil, `{"id":"p-new","name":"n"}`, 400, inv},
		{"stock zero on an existing id", "POST", "/products", nil, `{"id":"galaxy-s26-256","name":"n","stock":0}`, 409, exists},
		{"id number", "POST", "/products", nil, productID("7"), 400, inv},
		{"id array", "POST", "/products", nil, productID(`["p-new"]`), 400, inv},
		{"id null", "POST", "/products", nil, productID("null"), 400, inv},
		{"id missing", "POST", "/products", nil, `{"name":"n","stock":1}`, 400, inv},
		{"id empty", "POST", "/products", nil, productID(`""`), 400, inv},
		{"id with a dot", "POST", "/products", nil, productID(`"galaxy.s26"`), 400, inv},
		{"id with a space", "POST", "/products", nil, productID(`"galaxy s26"`), 400, inv},
		{"id star", "POST", "/products", nil, productID(`"*"`), 400, inv},
		{"id greater-than", "POST", "/products", nil, productID(`"galaxy>"`), 400, inv},
		{"id unicode", "POST", "/products", nil, productID(`"갤럭시"`), 400, inv},
		{"id NUL", "POST", "/products", nil, productID(`"p\u0000new"`), 400, inv},
		{"id leading dash", "POST", "/products", nil, productID(`"-p"`), 400, inv},
		{"id 65 chars", "POST", "/products", nil, productID(`"` + g65 + `"`), 400, inv},
		{"name number", "POST", "/products", nil, `{"id":"p-new","name":5,"stock":1}`, 400, inv},
		{"name missing", "POST", "/products", nil, `{"id":"p-new","stock":1}`, 400, inv},
		{"name control char", "POST", "/products", nil, `{"id":"p-new","name":"S26\r\n","stock":1}`, 400, inv},
		{"name 201 chars", "POST", "/products", nil, `{"id":"p-new","name":"` + strings.Repeat("갤", 201) + `","stock":1}`, 400, inv},
		{"existing product", "POST", "/products", nil, `{"id":"galaxy-s26-256","name":"Galaxy S26 256GB","stock":5}`, 409, exists},
		// POST /products/{id}/restock.
		{"restock quantity zero", "POST", restockP, nil, quantity("0"), 400, inv},
		{"restock quantity negative", "POST", restockP, nil, quantity("-3"), 400, inv},
		{"restock quantity 1.5", "POST", restockP, nil, quantity("1.5"), 400, inv},
		{"restock quantity string", "POST", restockP, nil, quantity(`"1"`), 400, inv},
		{"restock quantity null", "POST", restockP, nil, quantity("null"), 400, inv},
		{"restock quantity missing", "POST", restockP, nil, `{}`, 400, inv},
		{"restock quantity 1e400", "POST", restockP, nil, quantity("1e400"), 400, inv},
		{"restock quantity 99999999999999999999", "POST", restockP, nil, quantity("99999999999999999999"), 400, inv},
		{"restock past MaxStock", "POST", restockP, nil, quantity("1000000000"), 400, inv},
		{"restock unknown field", "POST", restockP, nil, `{"quantity":1,"qty":1}`, 400, inv},
		{"restock array", "POST", restockP, nil, `[1]`, 400, inv},
		{"restock text/plain", "POST", restockP, plain, quantity("1"), 415, media},
		{"restock unknown product", "POST", "/products/no-such/restock", nil, quantity("1"), 404, notFound},
		{"restock path id with a dot", "POST", "/products/galaxy.s26/restock", nil, quantity("1"), 400, inv},
		{"restock path id star", "POST", "/products/*/restock", nil, quantity("1"), 400, inv},
		{"restock path id empty", "POST", "/products//restock", nil, quantity("1"), 400, inv},
		// Product ids in paths.
		{"unknown product", "GET", "/products/no-such", nil, nil, 404, notFound},
		{"path id with a dot", "GET", "/products/galaxy.s26", nil, nil, 400, inv},
		{"path id with a space", "GET", "/products/galaxy%20s26", nil, nil, 400, inv},
		{"path id star", "GET", "/products/*", nil, nil, 400, inv},
		{"path id greater-than", "GET", "/products/%3E", nil, nil, 400, inv},
		{"path id unicode", "GET", "/products/%EA%B0%A4%EB%9F%AD%EC%8B%9C", nil, nil, 400, inv},
		{"path id invalid UTF-8", "GET", "/products/%FF", nil, nil, 400, inv},
		{"path id NUL", "GET", "/products/a%00b", nil, nil, 400, inv},
		{"path id encoded slash", "GET", "/products/a%2Fb", nil, nil, 400, inv},
		{"path id 65 chars", "GET", "/products/" + g65, nil, nil, 400, inv},
		// POST /stores.
		{"store lat 91", "POST", "/stores", nil, store("91", "127", "10"), 400, inv},
		{"store lat -90.5", "POST", "/stores", nil, store("-90.5", "127", "10"), 400, inv},
		{"store lon 181", "POST", "/stores", nil, store("37.5", "181", "10"), 400, inv},
		{"store lon -180.0001", "POST", "/stores", nil, store("37.5", "-180.0001", "10"), 400, inv},
		{"store lat 1e400", "POST", "/stores", nil, store("1e400", "127", "10"), 400, inv},
		{"store lat 99999999999999999999", "POST", "/stores", nil, store("99999999999999999999", "127", "10"), 400, inv},
		{"store lat NaN", "POST", "/stores", nil, store("NaN", "127", "10"), 400, inv},
		{"store lon -Infinity", "POST", "/stores", nil, store("37.5", "-Infinity", "10"), 400, inv},
		{"store lat string", "POST", "/stores", nil, store(`"37.5"`, "127", "10"), 400, inv},
		{"store lon null", "POST", "/stores", nil, store("37.5", "null", "10"), 400, inv},
		{"store capacity 1.5", "POST", "/stores", nil, store("37.5", "127", "1.5"), 400, inv},
		{"store capacity negative", "POST", "/stores", nil, store("37.5", "127", "-1"), 400, inv},
		{"store capacity over max", "POST", "/stores", nil, store("37.5", "127", "10001"), 400, inv},
		{"store capacity string", "POST", "/stores", nil, store("37.5", "127", `"10"`), 400, inv},
		{"store lat missing", "POST", "/stores", nil, `{"id":"s-new","name":"n","lon":127,"capacity":10}`, 400, inv},
		{"store lon missing", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"capacity":10}`, 400, inv},
		{"store capacity missing", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"lon":127}`, 400, inv},
		{"store id bad", "POST", "/stores", nil, `{"id":"s.new","name":"n","lat":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"store id number", "POST", "/stores", nil, `{"id":1,"name":"n","lat":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"store name missing", "POST", "/stores", nil, `{"id":"s-new","lat":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"store unknown field", "POST", "/stores", nil, strings.TrimSuffix(newStore, "}") + `,"address":"x"}`, 400, inv},
		{"store JSON array", "POST", "/stores", nil, `[` + newStore + `]`, 400, inv},
		{"store form", "POST", "/stores", []string{"Content-Type", "application/x-www-form-urlencoded"}, "id=s-new", 415, media},
		{"existing store", "POST", "/stores", nil, `{"id":"gangnam-01","name":"n","lat":37.5,"lon":127,"capacity":10}`, 409, exists},
		{"unknown store", "GET", "/stores/no-such", nil, nil, 404, notFound},
		{"store path id with a dot", "GET", "/stores/a.b", nil, nil, 400, inv},
		{"unknown store's reservations", "GET", "/stores/no-such/reservations", nil, nil, 404, notFound},
		{"store's reservations bad id", "GET", "/stores/a%20b/reservations", nil, nil, 400, inv},
		// POST /reservations.
		{"reserve location missing", "POST", "/reservations", nil, `{"productId":"galaxy-s26-256","customerId":"c-2"}`, 400, inv},
		{"reserve location null", "POST", "/reservations", nil, reserveAt("null"), 400, inv},
		{"reserve location array", "POST", "/reservations", nil, reserveAt("[37.56,126.97]"), 400, inv},
		{"reserve location string", "POST", "/reservations", nil, reserveAt(`"Seoul"`), 400, inv},
		{"reserve location empty", "POST", "/reservations", nil, reserveAt("{}"), 400, inv},
		{"reserve lat missing", "POST", "/reservations", nil, reserveAt(`{"lon":126.97}`), 400, inv},
		{"reserve lon missing", "POST", "/reservations", nil, reserveAt(`{"lat":37.56}`), 400, inv},
		{"reserve lat string", "POST", "/reservations", nil, reserveAt(`{"lat":"37.56","lon":126.97}`), 400, inv},
		{"reserve lat 90.5", "POST", "/reservations", nil, reserveAt(`{"lat":90.5,"lon":126.97}`), 400, inv},
		{"reserve lon -200", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":-200}`), 400, inv},
		{"reserve lat 1e400", "POST", "/reservations", nil, reserveAt(`{"lat":1e400,"lon":126.97}`), 400, inv},
		{"reserve lon NaN", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":NaN}`), 400, inv},
		{"reserve location unknown field", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":126.97,"alt":1}`), 400, inv},
		{"reserve location duplicate key", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lat":1,"lon":126.97}`), 400, inv},
		{"reserve productId number", "POST", "/reservations", nil, reserveBy("1", `"c-2"`), 400, inv},
		{"reserve productId missing", "POST", "/reservations", nil, `{"customerId":"c-2","location":{"lat":37.56,"lon":126.97}}`, 400, inv},
		{"reserve productId with a dot", "POST", "/reservations", nil, reserveBy(`"galaxy.s26"`, `"c-2"`), 400, inv},
		{"reserve productId wildcard", "POST", "/reservations", nil, reserveBy(`"galaxy>"`, `"c-2"`), 400, inv},
		{"reserve customerId missing", "POST", "/reservations", nil, `{"productId":"galaxy-s26-256","location":{"lat":37.56,"lon":126.97}}`, 400, inv},
		{"reserve customerId with a space", "POST", "/reservations", nil, reserveBy(`"galaxy-s26-256"`, `"c 2"`), 400, inv},
		{"reserve customerId star", "POST", "/reservations", nil, reserveBy(`"galaxy-s26-256"`, `"*"`), 400, inv},
		{"reserve customerId 65 chars", "POST", "/reservations", nil, reserveBy(`"galaxy-s26-256"`, `"`+g65+`"`), 400, inv},
		{"reserve customerId bool", "POST", "/reservations", nil, reserveBy(`"galaxy-s26-256"`, `false`), 400, inv},
		{"reserve unknown product", "POST", "/reservations", nil, reserveBy(`"no-such"`, `"c-2"`), 404, notFound},
		{"reserve unknown field", "POST", "/reservations", nil, strings.TrimSuffix(newRes, "}") + `,"quantity":2}`, 400, inv},
		{"reserve two objects", "POST", "/reservations", nil, newRes + newRes, 400, inv},
		{"reserve text/plain", "POST", "/reservations", plain, newRes, 415, media},
		{"reserve key with a space", "POST", "/reservations", key("a b"), newRes, 400, inv},
		{"reserve key with a tab", "POST", "/reservations", key("a\tb"), newRes, 400, inv},
		{"reserve key non-ASCII", "POST", "/reservations", key("키-1"), newRes, 400, inv},
		{"reserve key 256 chars", "POST", "/reservations", key(strings.Repeat("k", 256)), newRes, 400, inv},
		// PATCH /reservations/{id}.
		{"patch status CANCELLING", "PATCH", rsv, nil, status(`"CANCELLING"`), 400, inv},
		{"patch status lower case", "PATCH", rsv, nil, status(`"cancelled"`), 400, inv},
		{"patch status padded", "PATCH", rsv, nil, status(`" CANCELLED"`), 400, inv},
		{"patch status ACCEPTED", "PATCH", rsv, nil, status(`"ACCEPTED"`), 400, inv},
		{"patch status FULFILLED", "PATCH", rsv, nil, status(`"FULFILLED"`), 400, inv},
		{"patch status label 예약취소완료", "PATCH", rsv, nil, status(`"예약취소완료"`), 400, inv},
		{"patch status label 예약신청", "PATCH", rsv, nil, status(`"예약신청"`), 400, inv},
		{"patch status empty", "PATCH", rsv, nil, status(`""`), 400, inv},
		{"patch status number", "PATCH", rsv, nil, status("4"), 400, inv},
		{"patch status array", "PATCH", rsv, nil, status(`["CANCELLED"]`), 400, inv},
		{"patch status null", "PATCH", rsv, nil, status("null"), 400, inv},
		{"patch status missing", "PATCH", rsv, nil, `{}`, 400, inv},
		{"patch unknown field", "PATCH", rsv, nil, `{"status":"CANCELLED","reason":"x"}`, 400, inv},
		{"patch duplicate key", "PATCH", rsv, nil, `{"status":"CANCELLED","status":"CANCELLED"}`, 400, inv},
		{"patch trailing object", "PATCH", rsv, nil, status(`"CANCELLED"`) + `{}`, 400, inv},
		{"patch text/plain", "PATCH", rsv, plain, status(`"CANCELLED"`), 415, media},
		{"patch no body", "PATCH", rsv, nil, nil, 415, media},
		{"patch unknown reservation", "PATCH", "/reservations/" + unknownRID, nil, status(`"CANCELLED"`), 404, notFound},
		// POST /reservations/{id}/reject.
		{"reject storeId missing", "POST", rsv + "/reject", nil, `{"reason":"no staff"}`, 400, inv},
		{"reject storeId number", "POST", rsv + "/reject", nil, `{"storeId":1,"reason":"no staff"}`, 400, inv},
		{"reject storeId with a dot", "POST", rsv + "/reject", nil, `{"storeId":"gangnam.01","reason":"x"}`, 400, inv},
		{"reject reason number", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":5}`, 400, inv},
		{"reject reason 501 bytes", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":"` + strings.Repeat("r", 501) + `"}`, 400, inv},
		{"reject reason control char", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":"a\u0007b"}`, 400, inv},
		{"reject unknown field", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":"x","force":true}`, 400, inv},
		{"reject a PLACED reservation", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":"x"}`, 409, conflict},
		{"reject unknown reservation", "POST", "/reservations/" + unknownRID + "/reject", nil, `{"storeId":"gangnam-01","reason":"x"}`, 404, notFound},
		// POST /reservations/{id}/fulfill.
		{"fulfill method lower case", "POST", rsv + "/fulfill", nil, method(`"delivery"`), 400, inv},
		{"fulfill method unknown", "POST", rsv + "/fulfill", nil, method(`"PICKUP"`), 400, inv},
		{"fulfill method empty", "POST", rsv + "/fulfill", nil, method(`""`), 400, inv},
		{"fulfill method number", "POST", rsv + "/fulfill", nil, method("1"), 400, inv},
		{"fulfill method missing", "POST", rsv + "/fulfill", nil, `{}`, 400, inv},
		{"fulfill empty body", "POST", rsv + "/fulfill", nil, "", 400, inv},
		{"fulfill unknown field", "POST", rsv + "/fulfill", nil, `{"method":"DELIVERY","at":"now"}`, 400, inv},
		{"fulfill a PLACED reservation", "POST", rsv + "/fulfill", nil, method(`"DELIVERY"`), 409, conflict},
		{"fulfill unknown reservation", "POST", "/reservations/" + unknownRID + "/fulfill", nil, method(`"STORE_VISIT"`), 404, notFound},
		// Reservation ids in paths.
		{"reservation id not a UUID", "GET", "/reservations/not-a-uuid", nil, nil, 400, inv},
		{"reservation id 35 chars", "GET", "/reservations/" + unknownRID[:35], nil, nil, 400, inv},
		{"reservation id in braces", "GET", "/reservations/%7B" + unknownRID + "%7D", nil, nil, 400, inv},
		{"reservation id urn form", "GET", "/reservations/urn:uuid:" + unknownRID, nil, nil, 400, inv},
		{"reservation id without dashes", "GET", "/reservations/" + strings.ReplaceAll(unknownRID, "-", ""), nil, nil, 400, inv},
		{"reservation id 65 chars", "GET", "/reservations/" + g65, nil, nil, 400, inv},
		{"unknown reservation", "GET", "/reservations/" + unknownRID, nil, nil, 404, notFound},
		{"unknown reservation's history", "GET", "/reservations/" + unknownRID + "/history", nil, nil, 404, notFound},
		{"history bad id", "GET", "/reservations/*/history", nil, nil, 400, inv},
		{"patch bad id", "PATCH", "/reservations/%7B" + unknownRID + "%7D", nil, status(`"CANCELLED"`), 400, inv},
		{"reject bad id", "POST", "/reservations/" + unknownRID[:35] + "/reject", nil, `{"storeId":"gangnam-01"}`, 400, inv},
		{"fulfill bad id", "POST", "/reservations/urn:uuid:" + unknownRID + "/fulfill", nil, method(`"DELIVERY"`), 400, inv},
		// Routes and methods.
		{"unknown route", "GET", "/nope", nil, nil, 404, notFound},
		{"unknown sub-resource", "GET", "/products/galaxy-s26-256/stock", nil, nil, 404, notFound},
		{"unknown action", "POST", rsv + "/approve", nil, `{}`, 404, notFound},
		{"versioned prefix", "GET", "/api/v1/products", nil, nil, 404, notFound},
		{"DELETE a product", "DELETE", "/products/galaxy-s26-256", nil, nil, 405, inv},
		{"PUT a product", "PUT", "/products/galaxy-s26-256", nil, newProduct, 405, inv},
		{"PATCH a product", "PATCH", "/products/galaxy-s26-256", nil, `{"stock":9}`, 405, inv},
		{"GET restock", "GET", restockP, nil, nil, 405, inv},
		{"PUT reservations", "PUT", "/reservations", nil, newRes, 405, inv},
		{"DELETE a reservation", "DELETE", rsv, nil, nil, 405, inv},
		{"POST to a store", "POST", "/stores/gangnam-01", nil, newStore, 405, inv},
		{"DELETE stores", "DELETE", "/stores", nil, nil, 405, inv},
	}
	return append(cases, hostileCases()...)
}

// TestBadInput sends hostile and malformed requests to an api holding one
// product, one store and one reservation, and checks that each gets its
// problem and that none changes anything.
func TestBadInput(t *testing.T) {
	ns, a := setup(t)
	mustStatus := func(r response, want int, what string) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	mustStatus(a.do("POST", "/products", map[string]any{"id": "galaxy-s26-256", "name": "Galaxy S26 256GB", "stock": 5}), 201, "create product")
	mustStatus(a.do("POST", "/stores", map[string]any{"id": "gangnam-01", "name": "T world Gangnam", "lat": 37.4979, "lon": 127.0276, "capacity": 50}), 201, "create store")
	r := a.do("POST", "/reservations", newRes)
	mustStatus(r, 201, "reserve")
	var res reservationView
	r.JSON(t, &res)
	rid := res.ID.String()
	before := a.do("GET", "/reservations/"+rid, nil)
	mustStatus(before, 200, "get reservation")
	storesBefore := a.do("GET", "/stores", nil)
	mustStatus(storesBefore, 200, "list stores")
	listBefore := a.do("GET", "/reservations?customerId=c-2", nil)
	mustStatus(listBefore, 200, "list reservations")
	historyBefore := a.do("GET", "/reservations/"+rid+"/history", nil)
	mustStatus(historyBefore, 200, "history")
	es, err := eventstore.Open(t.Context(), ns.Connect(), nil)
	if err != nil {
		t.Fatal(err)
	}
	logEnds := func() map[string]uint64 {
		ends := map[string]uint64{}
		for _, k := range eventstore.Kinds() {
			seq, err := es.LastSeq(t.Context(), k)
			if err != nil {
				t.Fatalf("last sequence of %s: %v", k.Stream(), err)
			}
			ends[k.Stream()] = seq
		}
		return ends
	}
	endsBefore := logEnds()

	cases := badCases()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := strings.ReplaceAll(c.path, "{rid}", rid)
			got := a.do(c.method, path, c.body, c.header...)
			checkProblem(t, got, c.status, c.code)
		})
	}
	t.Logf("%d bad requests", len(cases))

	// Nothing changed.
	var p productView
	r = a.do("GET", "/products/galaxy-s26-256", nil)
	mustStatus(r, 200, "get product")
	r.JSON(t, &p)
	if p.Stock != 4 || p.Reserved != 1 {
		t.Errorf("product after bad input: %+v, want stock 4 reserved 1", p)
	}
	var ps []productView
	a.do("GET", "/products", nil).JSON(t, &ps)
	if len(ps) != 1 || ps[0] != p {
		t.Errorf("products after bad input: %+v, want only %+v", ps, p)
	}
	var ss []storeView
	storesAfter := a.do("GET", "/stores", nil)
	storesAfter.JSON(t, &ss)
	if len(ss) != 1 || ss[0].ID != "gangnam-01" || !bytes.Equal(storesAfter.Body, storesBefore.Body) {
		t.Errorf("stores after bad input: %s, want %s", storesAfter.Body, storesBefore.Body)
	}
	after := a.do("GET", "/reservations/"+rid, nil)
	if after.Status != 200 || !bytes.Equal(after.Body, before.Body) {
		t.Errorf("reservation after bad input: %d %s, want %s", after.Status, after.Body, before.Body)
	}
	if list := a.do("GET", "/reservations?customerId=c-2", nil); !bytes.Equal(list.Body, listBefore.Body) {
		t.Errorf("customer's reservations after bad input: %s, want %s", list.Body, listBefore.Body)
	}
	if h := a.do("GET", "/reservations/"+rid+"/history", nil); !bytes.Equal(h.Body, historyBefore.Body) {
		t.Errorf("history after bad input: %s, want %s", h.Body, historyBefore.Body)
	}
	// Nothing was written to the log at all.
	if ends := logEnds(); !maps.Equal(ends, endsBefore) {
		t.Errorf("the log moved from %v to %v", endsBefore, ends)
	}
}

// checkProblem checks that r is an RFC 9457 problem with the wanted status
// and code.
func checkProblem(t *testing.T, r response, wantStatus int, wantCode string) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("server error %d: %s", r.Status, r.Body)
	}
	if r.Status != wantStatus {
		t.Errorf("status %d, want %d; body %s", r.Status, wantStatus, r.Body)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", r.Header.Get("Content-Type"))
	}
	var pb map[string]any
	if err := json.Unmarshal(r.Body, &pb); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	for _, k := range []string{"type", "title", "detail", "code"} {
		if s, ok := pb[k].(string); !ok || s == "" {
			t.Errorf("%s is %v, want a non-empty string; body %s", k, pb[k], r.Body)
		}
	}
	if st, ok := pb["status"].(float64); !ok || int(st) != r.Status {
		t.Errorf("status member %v, want %d", pb["status"], r.Status)
	}
	if pb["code"] != wantCode {
		t.Errorf("code %v, want %q", pb["code"], wantCode)
	}
}

// padded is a body grown past maxBody by a field that would be refused
// anyway.
func padded(body string, size int) string {
	return strings.TrimSuffix(body, "}") + `,"pad":"` + strings.Repeat("x", size) + `"}`
}

// deep nests n arrays or objects.
func deep(n int, open, close string) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// hostileCases attack every route that takes a body, path or query with
// what a hostile client sends: odd methods, traversal and encoded junk in
// paths, numbers no field can hold, NaN and infinities, invalid UTF-8,
// duplicate keys, deep nesting, wrong types, trailing garbage, empty and
// huge bodies, and content types that are not JSON in UTF-8.
func hostileCases() []badCase {
	big := 100 << 10
	long := func(n int) string { return strings.Repeat("a", n) }
	ct := func(v string) []string { return []string{"Content-Type", v} }
	rej := func(storeID string) string { return `{"storeId":` + storeID + `,"reason":"x"}` }
	const (
		twoTo63   = "9223372036854775808"
		minInt    = "-9223372036854775808"
		belowMin  = "-9223372036854775809"
		maxInt    = "9223372036854775807"
		rejectOK  = `{"storeId":"gangnam-01","reason":"no staff"}`
		fulfilOK  = `{"method":"DELIVERY"}`
		cancelled = `{"status":"CANCELLED"}`
		list      = "/reservations?customerId=c-2"
	)
	return []badCase{
		// Methods.
		{"OPTIONS products", "OPTIONS", "/products", nil, nil, 405, inv},
		{"TRACE products", "TRACE", "/products", nil, nil, 405, inv},
		{"PROPFIND stores", "PROPFIND", "/stores", nil, nil, 405, inv},
		{"made-up method", "FROB", "/reservations", nil, nil, 405, inv},
		{"lower-case method", "post", "/products", nil, newProduct, 405, inv},
		{"POST to a product", "POST", "/products/galaxy-s26-256", nil, newProduct, 405, inv},
		{"PATCH a store", "PATCH", "/stores/gangnam-01", nil, `{"capacity":1}`, 405, inv},
		{"PUT a store's pause", "PUT", "/stores/gangnam-01/pause", nil, nil, 405, inv},
		{"GET a store's pause", "GET", "/stores/gangnam-01/pause", nil, nil, 405, inv},
		{"DELETE a history", "DELETE", rsv + "/history", nil, nil, 405, inv},
		{"GET reject", "GET", rsv + "/reject", nil, nil, 405, inv},
		{"PUT fulfill", "PUT", rsv + "/fulfill", nil, fulfilOK, 405, inv},
		{"POST healthz", "POST", "/healthz", nil, `{}`, 405, inv},
		// Traversal and encoded junk in paths.
		{"dot-dot in a product path", "GET", "/products/../stores", nil, nil, 404, notFound},
		{"encoded dot-dot product id", "GET", "/products/%2e%2e", nil, nil, 400, inv},
		{"encoded dot-dot restock", "POST", "/products/%2E%2E/restock", nil, quantity("1"), 400, inv},
		{"encoded traversal to passwd", "GET", "/products/..%2f..%2f..%2fetc%2fpasswd", nil, nil, 400, inv},
		{"encoded traversal store", "GET", "/stores/%2e%2e%2f%2e%2e/reservations", nil, nil, 400, inv},
		{"encoded traversal reservation", "GET", "/reservations/..%2f" + unknownRID, nil, nil, 400, inv},
		{"encoded slash before history", "GET", "/reservations/" + unknownRID + "%2Fhistory", nil, nil, 400, inv},
		{"NUL product id", "GET", "/products/%00", nil, nil, 400, inv},
		{"NUL store id", "GET", "/stores/gangnam-01%00/reservations", nil, nil, 400, inv},
		{"NUL reservation id", "GET", "/reservations/" + unknownRID[:35] + "%00", nil, nil, 400, inv},
		{"NUL store to pause", "POST", "/stores/%00/pause", nil, nil, 400, inv},
		{"overlong UTF-8 dots", "GET", "/products/%c0%ae%c0%ae", nil, nil, 400, inv},
		{"overlong UTF-8 dot, 3 bytes", "GET", "/products/%e0%80%ae", nil, nil, 400, inv},
		{"overlong UTF-8 slash store", "GET", "/stores/a%c0%afb", nil, nil, 400, inv},
		{"overlong UTF-8 reservation", "PATCH", "/reservations/%c0%ae%c0%ae", nil, cancelled, 400, inv},
		{"invalid UTF-8 restock path", "POST", "/products/%ff%fe/restock", nil, quantity("1"), 400, inv},
		{"CRLF in a product path", "GET", "/products/a%0d%0aSet-Cookie:x", nil, nil, 400, inv},
		{"percent-encoded letter and a dot", "GET", "/products/%67alaxy.s26", nil, nil, 400, inv},
		{"8000-char product path", "GET", "/products/" + long(8000), nil, nil, 400, inv},
		{"15000-char store path", "GET", "/stores/" + long(15000), nil, nil, 400, inv},
		{"10000-char reservation path", "GET", "/reservations/" + long(10000), nil, nil, 400, inv},
		{"15000-char unknown route", "GET", "/nope/" + long(15000), nil, nil, 404, notFound},
		{"trailing slash", "GET", "/products/galaxy-s26-256/", nil, nil, 404, notFound},
		{"double slash", "GET", "//products", nil, nil, 404, notFound},
		{"upper-case route", "GET", "/PRODUCTS", nil, nil, 404, notFound},
		// Query parameters.
		{"list without customerId", "GET", "/reservations", nil, nil, 400, inv},
		{"customerId empty", "GET", "/reservations?customerId=", nil, nil, 400, inv},
		{"customerId with a dot", "GET", "/reservations?customerId=c.2", nil, nil, 400, inv},
		{"customerId wildcard", "GET", "/reservations?customerId=%3E", nil, nil, 400, inv},
		{"customerId NUL", "GET", "/reservations?customerId=c-2%00", nil, nil, 400, inv},
		{"customerId unicode", "GET", "/reservations?customerId=%EA%B0%A4", nil, nil, 400, inv},
		{"customerId invalid UTF-8", "GET", "/reservations?customerId=%ff", nil, nil, 400, inv},
		{"customerId 65 chars", "GET", "/reservations?customerId=" + strings.Repeat("c", 65), nil, nil, 400, inv},
		{"customerId 15000 chars", "GET", "/reservations?customerId=" + long(15000), nil, nil, 400, inv},
		{"bad query escape", "GET", "/reservations?customerId=%zz", nil, nil, 400, inv},
		{"limit zero", "GET", list + "&limit=0", nil, nil, 400, inv},
		{"limit negative", "GET", list + "&limit=-1", nil, nil, 400, inv},
		{"limit over MaxLimit", "GET", list + "&limit=501", nil, nil, 400, inv},
		{"limit 2^63", "GET", list + "&limit=" + twoTo63, nil, nil, 400, inv},
		{"limit 1e2", "GET", list + "&limit=1e2", nil, nil, 400, inv},
		{"limit 1.5", "GET", list + "&limit=1.5", nil, nil, 400, inv},
		{"limit hex", "GET", list + "&limit=0x10", nil, nil, 400, inv},
		{"limit NaN", "GET", list + "&limit=NaN", nil, nil, 400, inv},
		{"position garbage", "GET", "/products?position=latest", nil, nil, 400, inv},
		{"position unknown stream", "GET", "/products?position=TSHOP_ORDERS:1", nil, nil, 400, inv},
		{"position lower-case stream", "GET", "/stores?position=tshop_stores:1", nil, nil, 400, inv},
		{"position negative", "GET", "/products/galaxy-s26-256?position=TSHOP_PRODUCTS:-1", nil, nil, 400, inv},
		{"position 2^64", "GET", "/stores/gangnam-01?position=TSHOP_STORES:18446744073709551616", nil, nil, 400, inv},
		{"position float", "GET", "/products?position=TSHOP_PRODUCTS:1.5", nil, nil, 400, inv},
		{"position empty seq", "GET", "/products?position=TSHOP_PRODUCTS:", nil, nil, 400, inv},
		{"position trailing comma", "GET", "/products?position=TSHOP_PRODUCTS:1,", nil, nil, 400, inv},
		{"position NUL", "GET", "/products?position=TSHOP_PRODUCTS:1%00", nil, nil, 400, inv},
		{"position too long", "GET", "/products?position=" + strings.Repeat("TSHOP_PRODUCTS:1,", 20) + "TSHOP_PRODUCTS:1", nil, nil, 400, inv},
		// A position no Tshop-Position header named, past the end of the
		// log: refused at once, not waited for until a 503.
		{"position past the end", "GET", "/products?position=TSHOP_PRODUCTS:999999", nil, nil, 400, inv},
		{"position 2^64-1", "GET", "/stores?position=TSHOP_STORES:18446744073709551615", nil, nil, 400, inv},
		{"position past the end on a list", "GET", list + "&position=TSHOP_RESERVATIONS:999999", nil, nil, 400, inv},
		{"position past the end on a reservation", "GET", rsv + "?position=TSHOP_PRODUCTS:999999", nil, nil, 400, inv},
		{"position past the end on a history", "GET", rsv + "/history?position=TSHOP_STORES:999999", nil, nil, 400, inv},
		// Numbers no field can hold.
		{"stock 2^63", "POST", "/products", nil, product(twoTo63), 400, inv},
		{"stock max int64", "POST", "/products", nil, product(maxInt), 400, inv},
		{"stock min int64", "POST", "/products", nil, product(minInt), 400, inv},
		{"stock below min int64", "POST", "/products", nil, product(belowMin), 400, inv},
		{"stock 1e2", "POST", "/products", nil, product("1e2"), 400, inv},
		{"stock 1.0", "POST", "/products", nil, product("1.0"), 400, inv},
		{"stock -1e400", "POST", "/products", nil, product("-1e400"), 400, inv},
		{"stock 400 digits", "POST", "/products", nil, product(strings.Repeat("9", 400)), 400, inv},
		{"stock hex", "POST", "/products", nil, product("0x10"), 400, inv},
		{"stock leading zero", "POST", "/products", nil, product("07"), 400, inv},
		{"stock plus sign", "POST", "/products", nil, product("+1"), 400, inv},
		{"restock quantity 2^63", "POST", restockP, nil, quantity(twoTo63), 400, inv},
		{"restock quantity min int64", "POST", restockP, nil, quantity(minInt), 400, inv},
		{"restock quantity max int64", "POST", restockP, nil, quantity(maxInt), 400, inv},
		{"restock quantity 1e2", "POST", restockP, nil, quantity("1e2"), 400, inv},
		{"restock quantity 0.5", "POST", restockP, nil, quantity("0.5"), 400, inv},
		{"restock quantity -0", "POST", restockP, nil, quantity("-0"), 400, inv},
		{"store capacity 2^63", "POST", "/stores", nil, store("37.5", "127", twoTo63), 400, inv},
		{"store capacity min int64", "POST", "/stores", nil, store("37.5", "127", minInt), 400, inv},
		{"store capacity 1e400", "POST", "/stores", nil, store("37.5", "127", "1e400"), 400, inv},
		{"store capacity 10.0", "POST", "/stores", nil, store("37.5", "127", "10.0"), 400, inv},
		{"store capacity 1e1", "POST", "/stores", nil, store("37.5", "127", "1e1"), 400, inv},
		{"store lat 2^63", "POST", "/stores", nil, store(twoTo63, "127", "10"), 400, inv},
		{"store lon 1e308", "POST", "/stores", nil, store("37.5", "1e308", "10"), 400, inv},
		{"store lon -1e309", "POST", "/stores", nil, store("37.5", "-1e309", "10"), 400, inv},
		{"reserve lat 2^63", "POST", "/reservations", nil, reserveAt(`{"lat":` + twoTo63 + `,"lon":126.97}`), 400, inv},
		{"reserve lon 1e400", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":1e400}`), 400, inv},
		// NaN and infinities, as bare tokens and as strings, and
		// coordinates off the earth.
		{"store lat NaN string", "POST", "/stores", nil, store(`"NaN"`, "127", "10"), 400, inv},
		{"store lat nan", "POST", "/stores", nil, store("nan", "127", "10"), 400, inv},
		{"store lon Infinity", "POST", "/stores", nil, store("37.5", "Infinity", "10"), 400, inv},
		{"store lon Infinity string", "POST", "/stores", nil, store("37.5", `"Infinity"`, "10"), 400, inv},
		{"store lat -Infinity", "POST", "/stores", nil, store("-Infinity", "127", "10"), 400, inv},
		{"store lat -inf string", "POST", "/stores", nil, store(`"-inf"`, "127", "10"), 400, inv},
		{"store lat 90.0000001", "POST", "/stores", nil, store("90.0000001", "127", "10"), 400, inv},
		{"store lon 180.0000001", "POST", "/stores", nil, store("37.5", "180.0000001", "10"), 400, inv},
		{"reserve lat NaN", "POST", "/reservations", nil, reserveAt(`{"lat":NaN,"lon":126.97}`), 400, inv},
		{"reserve lat NaN string", "POST", "/reservations", nil, reserveAt(`{"lat":"NaN","lon":126.97}`), 400, inv},
		{"reserve lon Infinity", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":Infinity}`), 400, inv},
		{"reserve lon -Infinity string", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":"-Infinity"}`), 400, inv},
		{"reserve lat -91", "POST", "/reservations", nil, reserveAt(`{"lat":-91,"lon":126.97}`), 400, inv},
		{"reserve lon 540", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":540}`), 400, inv},
		{"reserve lat bool", "POST", "/reservations", nil, reserveAt(`{"lat":true,"lon":126.97}`), 400, inv},
		// Invalid UTF-8, and escapes encoding/json would silently change.
		{"invalid UTF-8 in a key", "POST", "/products", nil, "{\"id\xff\":\"p-new\",\"name\":\"n\",\"stock\":1}", 400, inv},
		{"invalid UTF-8 in a store name", "POST", "/stores", nil, "{\"id\":\"s-new\",\"name\":\"\xe0\x80\",\"lat\":37.5,\"lon\":127,\"capacity\":10}", 400, inv},
		{"overlong NUL in a customerId", "POST", "/reservations", nil, reserveBy(`"galaxy-s26-256"`, "\"c-\xc0\x80\""), 400, inv},
		{"UTF-8 encoded surrogate in a reason", "POST", rsv + "/reject", nil, "{\"storeId\":\"gangnam-01\",\"reason\":\"\xed\xa0\x80\"}", 400, inv},
		{"invalid UTF-8 in a status", "PATCH", rsv, nil, "{\"status\":\"CANCELLED\xff\"}", 400, inv},
		{"invalid UTF-8 in a method key", "POST", rsv + "/fulfill", nil, "{\"meth\xc3od\":\"DELIVERY\"}", 400, inv},
		{"lone surrogate escape in a name", "POST", "/products", nil, `{"id":"p-new","name":"S26 \ud800","stock":1}`, 400, inv},
		{"lone low surrogate in a store name", "POST", "/stores", nil, `{"id":"s-new","name":"\udc00","lat":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"lone surrogate escape in a key", "POST", restockP, nil, `{"quantity":1,"\ud83d":1}`, 400, inv},
		{"reversed surrogate pair", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":"\ude00\ud83d"}`, 400, inv},
		// Duplicate keys: plain, case-folded and escaped.
		{"store duplicate lat", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"lat":99,"lon":127,"capacity":10}`, 400, inv},
		{"store duplicate LAT", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"LAT":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"store duplicate Capacity", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"lon":127,"capacity":-1,"Capacity":10}`, 400, inv},
		{"store duplicate id escaped", "POST", "/stores", nil, `{"id":"s-new","name":"n","lat":37.5,"lon":127,"capacity":10,"\u0049D":"s-two"}`, 400, inv},
		{"stock with a Kelvin sign", "POST", "/products", nil, `{"id":"p-new","name":"n","stock":-1,"stoc\u212a":1}`, 400, inv},
		{"restock duplicate Quantity", "POST", restockP, nil, `{"quantity":1,"Quantity":1}`, 400, inv},
		{"reserve duplicate location", "POST", "/reservations", nil, strings.TrimSuffix(newRes, "}") + `,"location":{"lat":1,"lon":1}}`, 400, inv},
		{"reserve duplicate PRODUCTID", "POST", "/reservations", nil, strings.TrimSuffix(newRes, "}") + `,"PRODUCTID":"galaxy-s26-256"}`, 400, inv},
		{"reserve duplicate Lon in location", "POST", "/reservations", nil, reserveAt(`{"lat":37.56,"lon":126.97,"Lon":126.97}`), 400, inv},
		{"patch duplicate STATUS", "PATCH", rsv, nil, `{"status":"CANCELLED","STATUS":"CANCELLED"}`, 400, inv},
		{"reject duplicate storeid", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","storeid":"gangnam-01","reason":"x"}`, 400, inv},
		{"fulfill duplicate method", "POST", rsv + "/fulfill", nil, `{"method":"DELIVERY","method":"STORE_VISIT"}`, 400, inv},
		{"fulfill duplicate METHOD escaped", "POST", rsv + "/fulfill", nil, `{"method":"DELIVERY","\u004dETHOD":"DELIVERY"}`, 400, inv},
		// Deep nesting, 10,000 levels.
		{"10000 nested arrays", "POST", "/products", nil, nested(10000, "[", "]"), 400, inv},
		{"10000 nested objects", "POST", "/products", nil, nested(10000, `{"a":`, "}"), 400, inv},
		{"10000 nested arrays as stock", "POST", "/products", nil, product(deep(10000, "[", "]")), 400, inv},
		{"10000 open arrays", "POST", restockP, nil, strings.Repeat("[", 10000), 400, inv},
		{"10000 open objects", "POST", "/stores", nil, strings.Repeat(`{"a":`, 10000), 400, inv},
		{"10000 nested lat", "POST", "/stores", nil, store(deep(10000, "[", "]"), "127", "10"), 400, inv},
		{"10000 nested location", "POST", "/reservations", nil, reserveAt(deep(10000, `{"a":`, "}")), 400, inv},
		{"10000 nested status", "PATCH", rsv, nil, status(deep(10000, "[", "]")), 400, inv},
		{"10000 nested reason", "POST", rsv + "/reject", nil, `{"storeId":"gangnam-01","reason":` + deep(10000, `{"r":`, "}") + `}`, 400, inv},
		{"10000 nested method", "POST", rsv + "/fulfill", nil, method(deep(10000, "[", "]")), 400, inv},
		// Wrong types.
		{"restock body a string", "POST", restockP, nil, `"50"`, 400, inv},
		{"restock quantity array", "POST", restockP, nil, quantity("[50]"), 400, inv},
		{"store capacity bool", "POST", "/stores", nil, store("37.5", "127", "true"), 400, inv},
		{"store name array", "POST", "/stores", nil, `{"id":"s-new","name":["n"],"lat":37.5,"lon":127,"capacity":10}`, 400, inv},
		{"store body null", "POST", "/stores", nil, `null`, 400, inv},
		{"reserve location number", "POST", "/reservations", nil, reserveAt("37.56"), 400, inv},
		{"reserve body array", "POST", "/reservations", nil, `[` + newRes + `]`, 400, inv},
		{"patch status object", "PATCH", rsv, nil, status(`{"status":"CANCELLED"}`), 400, inv},
		{"patch body a string", "PATCH", rsv, nil, `"CANCELLED"`, 400, inv},
		{"reject storeId null", "POST", rsv + "/reject", nil, rej("null"), 400, inv},
		{"reject storeId array", "POST", rsv + "/reject", nil, rej(`["gangnam-01"]`), 400, inv},
		{"fulfill method array", "POST", rsv + "/fulfill", nil, method(`["DELIVERY"]`), 400, inv},
		{"fulfill body a number", "POST", rsv + "/fulfill", nil, `1`, 400, inv},
		// Trailing and leading garbage, and JSON that is not.
		{"restock trailing word", "POST", restockP, nil, quantity("1") + ` x`, 400, inv},
		{"restock trailing comma inside", "POST", restockP, nil, `{"quantity":1,}`, 400, inv},
		{"store trailing bracket", "POST", "/stores", nil, newStore + `]`, 400, inv},
		{"reserve trailing NUL", "POST", "/reservations", nil, newRes + "\x00", 400, inv},
		{"patch trailing comment", "PATCH", rsv, nil, cancelled + ` // cancel`, 400, inv},
		{"reject trailing object", "POST", rsv + "/reject", nil, rejectOK + `{}`, 400, inv},
		{"fulfill trailing garbage", "POST", rsv + "/fulfill", nil, fulfilOK + `garbage`, 400, inv},
		{"leading garbage", "POST", "/products", nil, `x` + newProduct, 400, inv},
		{"single quotes", "POST", "/products", nil, `{'id':'p-new','name':'n','stock':1}`, 400, inv},
		{"unquoted keys", "POST", "/products", nil, `{id:"p-new",name:"n",stock:1}`, 400, inv},
		// Empty bodies.
		{"restock empty body", "POST", restockP, nil, "", 400, inv},
		{"store empty body", "POST", "/stores", nil, "", 400, inv},
		{"store whitespace body", "POST", "/stores", nil, "\r\n", 400, inv},
		{"reserve empty body", "POST", "/reservations", nil, "", 400, inv},
		{"patch empty body", "PATCH", rsv, nil, "", 400, inv},
		{"reject empty body", "POST", rsv + "/reject", nil, "", 400, inv},
		{"reject empty object", "POST", rsv + "/reject", nil, `{}`, 400, inv},
		// Content types that are not JSON, or not JSON in UTF-8.
		{"restock form", "POST", restockP, ct("application/x-www-form-urlencoded"), "quantity=1", 415, media},
		{"store text/plain", "POST", "/stores", ct("text/plain"), newStore, 415, media},
		{"store latin1 JSON", "POST", "/stores", ct("application/json; charset=latin1"), newStore, 415, media},
		{"reserve XML", "POST", "/reservations", ct("application/xml"), newRes, 415, media},
		{"reserve UTF-16 JSON", "POST", "/reservations", ct("application/json; charset=utf-16"), newRes, 415, media},
		{"reserve list of types", "POST", "/reservations", ct("application/json, text/plain"), newRes, 415, media},
		{"patch JSON Patch", "PATCH", rsv, ct("application/json-patch+json"), `[{"op":"replace","path":"/status","value":"CANCELLED"}]`, 415, media},
		{"patch empty type", "PATCH", rsv, ct(""), cancelled, 415, media},
		{"reject text/json", "POST", rsv + "/reject", ct("text/json"), rejectOK, 415, media},
		{"fulfill problem+json", "POST", rsv + "/fulfill", ct("application/problem+json"), fulfilOK, 415, media},
		{"fulfill no body and no type", "POST", rsv + "/fulfill", nil, nil, 415, media},
		{"type without a subtype", "POST", "/products", ct("json"), newProduct, 415, media},
		// Huge bodies: payload-too-large on every route that takes one.
		{"restock 100KiB", "POST", restockP, nil, padded(quantity("1"), big), 413, tooLarge},
		{"store 100KiB", "POST", "/stores", nil, padded(newStore, big), 413, tooLarge},
		{"reserve 100KiB", "POST", "/reservations", nil, padded(newRes, big), 413, tooLarge},
		{"patch 100KiB", "PATCH", rsv, nil, padded(cancelled, big), 413, tooLarge},
		{"reject 100KiB", "POST", rsv + "/reject", nil, padded(rejectOK, big), 413, tooLarge},
		{"fulfill 100KiB", "POST", rsv + "/fulfill", nil, padded(fulfilOK, big), 413, tooLarge},
		{"product one byte over", "POST", "/products", nil, `{"id":"p-new","name":"` + strings.Repeat("a", maxBody-len(`{"id":"p-new","name":"","stock":1}`)+1) + `","stock":1}`, 413, tooLarge},
		{"product 1MiB", "POST", "/products", nil, padded(newProduct, 1<<20), 413, tooLarge},
		{"reserve 1MiB of whitespace", "POST", "/reservations", nil, newRes + strings.Repeat(" ", 1<<20), 413, tooLarge},
	}
}

// TestHugeChunkedBody sends bodies of unknown length, chunked, far past
// maxBody: each is refused as payload-too-large after at most maxBody
// bytes are read, and nothing is created.
func TestHugeChunkedBody(t *testing.T) {
	_, a := setup(t)
	for _, path := range []string{"/products", "/stores", "/reservations"} {
		body := io.MultiReader(strings.NewReader(`{"id":"p-new","name":"`), strings.NewReader(strings.Repeat("a", 4<<20)), strings.NewReader(`","stock":1}`))
		req, err := http.NewRequest("POST", a.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, response{Status: res.StatusCode, Header: res.Header, Body: raw}, 413, tooLarge)
	}
	if r := a.do("GET", "/products", nil); string(bytes.TrimSpace(r.Body)) != "[]" {
		t.Errorf("products after huge bodies: %s", r.Body)
	}
}
