// Package plot draws charts as plain SVG: only <svg>, <rect>, <line>,
// <polyline> and <text>, with no scripts, styles or fonts to fetch, so the
// output reads the same in a browser, an image viewer or a text editor.
// Output is deterministic: the same input gives byte-identical output.
package plot
