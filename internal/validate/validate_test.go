package validate

import (
	"errors"
	"testing"

	"github.com/arkmember/arkmember/internal/apperr"
)

func TestErrors_CollectsEveryField(t *testing.T) {
	var v Errors
	if v.Err() != nil {
		t.Fatal("no errors must give nil")
	}
	v.Check(false, "mobile", "bad")
	v.Check(true, "nickname", "never")
	v.Add("password", "empty")
	var e *apperr.Error
	if !errors.As(v.Err(), &e) || e.Code != apperr.CodeValidationFailed || len(e.Fields) != 2 {
		t.Fatalf("Err() = %#v", v.Err())
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"mobile ok", Mobile, "13812345678", true},
		{"mobile short", Mobile, "1381234567", false},
		{"mobile bad prefix", Mobile, "12812345678", false},
		{"mobile letters", Mobile, "1381234567a", false},
		{"mobile plus", Mobile, "+8613812345678", false},
		{"bizNo ok", BizNo, "ORD-2026:11.24_1", true},
		{"bizNo empty", BizNo, "", false},
		{"bizNo space", BizNo, "a b", false},
		{"bizNo 64", BizNo, string(make64('a')), true},
		{"bizNo 65", BizNo, string(make64('a')) + "a", false},
		{"code ok", Code, "GOLD_1", true},
		{"code slash", Code, "a/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.in); got != tt.want {
				t.Fatalf("%q: got %v", tt.in, got)
			}
		})
	}
}

func TestLength_CountsCharactersNotBytes(t *testing.T) {
	if !Length("会员小王", 1, 4) {
		t.Fatal("four Chinese characters are four characters")
	}
	if Length("\xff", 0, 10) {
		t.Fatal("invalid UTF-8 must fail")
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}
