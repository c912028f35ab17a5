package pii

import (
	"strings"
	"unicode/utf8"
)

// MaskMobile shows an 11-digit mobile number as its first three and last four
// digits ("13812345678" → "138****5678"). Anything else is masked entirely,
// keeping only its length in characters, since a value of unknown shape may be
// anything and a partial mask could reveal it.
func MaskMobile(m string) string {
	if len(m) == 11 && allASCIIDigits(m) {
		return m[:3] + "****" + m[7:]
	}
	return strings.Repeat("*", utf8.RuneCountInString(m))
}

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
