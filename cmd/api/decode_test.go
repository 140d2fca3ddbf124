package main

import "testing"

func TestLoneSurrogate(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"name":"S26"}`, false},
		{`{"name":"\u00e9\u20ac"}`, false},
		{`{"name":"\ud83d\ude00"}`, false},
		{`{"name":"\uD83D\uDE00"}`, false},
		{`{"name":"\ud800"}`, true},
		{`{"name":"\udc00"}`, true},
		{`{"name":"\ude00\ud83d"}`, true},
		{`{"name":"\ud83dx"}`, true},
		{`{"name":"\ud83d\u0041"}`, true},
		{`{"name":"\ud83d\ud83d\ude00"}`, true},
		{`{"na\ud800me":"S26"}`, true},
		{`{"name":"\\ud800"}`, false},
		{`{"name":"\\\ud800"}`, true},
		{`{"name":"\\\\ud800"}`, false},
		{`{"name":"\u12"}`, false},
		{`{"name":"\ud83d\`, true},
		{`\`, false},
	}
	for _, tt := range tests {
		if got := loneSurrogate([]byte(tt.body)); got != tt.want {
			t.Errorf("loneSurrogate(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}
