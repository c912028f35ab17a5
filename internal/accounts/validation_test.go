package accounts

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

var validationNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// invalidFields returns the fields err names, sorted; nil for no error. Any
// error other than VALIDATION_FAILED fails the test.
func invalidFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.KindInvalid || e.Code != apperr.CodeValidationFailed {
		t.Fatalf("error = %v, want VALIDATION_FAILED", err)
	}
	var out []string
	for _, f := range e.Fields {
		if f.Message == "" {
			t.Fatalf("field %s has no message", f.Field)
		}
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

func checkFields(t *testing.T, err error, want []string) {
	t.Helper()
	if got := invalidFields(t, err); !reflect.DeepEqual(got, want) {
		t.Fatalf("invalid fields = %v, want %v (error %v)", got, want, err)
	}
}

func TestRegisterInput_Validate(t *testing.T) {
	tests := []struct {
		name string
		in   RegisterInput
		want []string
	}{
		{"valid without nickname", RegisterInput{Mobile: "13812345678", Password: "correct-horse"}, nil},
		{"valid with nickname", RegisterInput{Mobile: "19912345678", Password: "correct-horse", Nickname: ptr("小王")}, nil},
		{"password of 8 characters", RegisterInput{Mobile: "13812345678", Password: "12345678"}, nil},
		{"password of 8 multi-byte characters", RegisterInput{Mobile: "13812345678", Password: "密码密码密码密码"}, nil},
		{"password of 128 characters", RegisterInput{Mobile: "13812345678", Password: strings.Repeat("p", 128)}, nil},
		{"password of 7 characters", RegisterInput{Mobile: "13812345678", Password: "1234567"}, []string{"password"}},
		{"password of 129 characters", RegisterInput{Mobile: "13812345678", Password: strings.Repeat("p", 129)}, []string{"password"}},
		{"password only spaces", RegisterInput{Mobile: "13812345678", Password: "          "}, []string{"password"}},
		{"password invalid UTF-8", RegisterInput{Mobile: "13812345678", Password: "abcdefg\xff"}, []string{"password"}},
		{"mobile too short", RegisterInput{Mobile: "1381234567", Password: "correct-horse"}, []string{"mobile"}},
		{"mobile with country code", RegisterInput{Mobile: "+8613812345678", Password: "correct-horse"}, []string{"mobile"}},
		{"mobile with bad prefix", RegisterInput{Mobile: "12812345678", Password: "correct-horse"}, []string{"mobile"}},
		{"empty nickname", RegisterInput{Mobile: "13812345678", Password: "correct-horse", Nickname: ptr("")}, []string{"nickname"}},
		{"everything wrong", RegisterInput{Mobile: "", Password: "", Nickname: ptr(" ")}, []string{"mobile", "nickname", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, tt.in.validate(), tt.want)
		})
	}
}

func TestProfilePatch_Validate(t *testing.T) {
	tests := []struct {
		name  string
		patch ProfilePatch
		want  []string
	}{
		{"empty patch", ProfilePatch{}, nil},
		{"every field valid", ProfilePatch{Nickname: ptr("Lin"), AvatarURL: ptr("https://cdn.example.com/a.png"), Gender: ptr(GenderFemale), Birthday: ptr("1995-05-20")}, nil},
		{"empty avatar clears it", ProfilePatch{AvatarURL: ptr("")}, nil},
		{"empty birthday clears it", ProfilePatch{Birthday: ptr("")}, nil},
		{"gender unknown", ProfilePatch{Gender: ptr(GenderUnknown)}, nil},
		{"gender male", ProfilePatch{Gender: ptr(GenderMale)}, nil},
		{"gender lower case", ProfilePatch{Gender: ptr(Gender("female"))}, []string{"gender"}},
		{"gender empty", ProfilePatch{Gender: ptr(Gender(""))}, []string{"gender"}},
		{"gender other", ProfilePatch{Gender: ptr(Gender("OTHER"))}, []string{"gender"}},
		{"birthday on the first day allowed", ProfilePatch{Birthday: ptr("1900-01-01")}, nil},
		{"birthday before 1900", ProfilePatch{Birthday: ptr("1899-12-31")}, []string{"birthday"}},
		{"birthday today", ProfilePatch{Birthday: ptr("2026-11-24")}, nil},
		{"birthday tomorrow", ProfilePatch{Birthday: ptr("2026-11-25")}, []string{"birthday"}},
		{"birthday not a real date", ProfilePatch{Birthday: ptr("2026-02-30")}, []string{"birthday"}},
		{"birthday in another format", ProfilePatch{Birthday: ptr("20/05/1995")}, []string{"birthday"}},
		{"birthday with a time", ProfilePatch{Birthday: ptr("1995-05-20T00:00:00Z")}, []string{"birthday"}},
		{"avatar not http", ProfilePatch{AvatarURL: ptr("ftp://cdn.example.com/a.png")}, []string{"avatarUrl"}},
		{"empty nickname", ProfilePatch{Nickname: ptr("")}, []string{"nickname"}},
		{"several bad fields", ProfilePatch{Nickname: ptr("\t"), AvatarURL: ptr("javascript:alert(1)"), Gender: ptr(Gender("X")), Birthday: ptr("soon")}, []string{"avatarUrl", "birthday", "gender", "nickname"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, tt.patch.validate(validationNow), tt.want)
		})
	}
}

func TestProfilePatch_Empty(t *testing.T) {
	tests := []struct {
		name  string
		patch ProfilePatch
		want  bool
	}{
		{"no fields", ProfilePatch{}, true},
		{"only nickname", ProfilePatch{Nickname: ptr("a")}, false},
		{"only clearing avatar", ProfilePatch{AvatarURL: ptr("")}, false},
		{"only gender", ProfilePatch{Gender: ptr(GenderMale)}, false},
		{"only clearing birthday", ProfilePatch{Birthday: ptr("")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.patch.empty(); got != tt.want {
				t.Fatalf("empty() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatusInput_Validate(t *testing.T) {
	tests := []struct {
		name string
		in   StatusInput
		want []string
	}{
		{"freeze", StatusInput{Status: StatusFrozen, Reason: "chargeback fraud"}, nil},
		{"unfreeze", StatusInput{Status: StatusActive, Reason: "cleared"}, nil},
		{"reason of one character", StatusInput{Status: StatusFrozen, Reason: "x"}, nil},
		{"reason of 200 characters", StatusInput{Status: StatusFrozen, Reason: strings.Repeat("原", 200)}, nil},
		{"reason of 201 characters", StatusInput{Status: StatusFrozen, Reason: strings.Repeat("r", 201)}, []string{"reason"}},
		{"empty reason", StatusInput{Status: StatusFrozen, Reason: ""}, []string{"reason"}},
		{"blank reason", StatusInput{Status: StatusFrozen, Reason: " \t\n"}, []string{"reason"}},
		{"lower-case status", StatusInput{Status: "frozen", Reason: "x"}, []string{"status"}},
		{"unknown status", StatusInput{Status: "DELETED", Reason: "x"}, []string{"status"}},
		{"empty status and reason", StatusInput{}, []string{"reason", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, tt.in.validate(), tt.want)
		})
	}
}

func TestStatusInput_ReasonLengthCountsPaddingAsTheAPIDoes(t *testing.T) {
	in := StatusInput{Status: StatusFrozen, Reason: strings.Repeat("r", 200) + "   "}
	checkFields(t, in.validate(), []string{"reason"})
}

func TestValidNickname(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"ascii", "Lin", true},
		{"one character", "a", true},
		{"chinese", "会员小王", true},
		{"emoji", "🐼🐼", true},
		{"inner spaces", "Lin Wei", true},
		{"32 characters", strings.Repeat("a", 32), true},
		{"32 multi-byte characters", strings.Repeat("王", 32), true},
		{"33 characters", strings.Repeat("a", 33), false},
		{"empty", "", false},
		{"only spaces", "   ", false},
		{"only an ideographic space", "\u3000", false},
		{"newline", "Lin\nWei", false},
		{"tab", "Lin\tWei", false},
		{"NUL", "Lin\x00", false},
		{"DEL", "Lin\x7f", false},
		{"C1 control", "Lin\u0085", false},
		{"invalid UTF-8", "Lin\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validNickname(tt.in); got != tt.want {
				t.Fatalf("validNickname(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidAvatarURL(t *testing.T) {
	prefix := "https://cdn.example.com/"
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"https", "https://cdn.example.com/a.png", true},
		{"http", "http://cdn.example.com/a.png", true},
		{"upper-case scheme", "HTTPS://cdn.example.com/a.png", true},
		{"port and query", "https://cdn.example.com:8443/a.png?v=2#x", true},
		{"ipv6 host", "http://[2001:db8::1]/a.png", true},
		{"512 bytes", prefix + strings.Repeat("a", 512-len(prefix)), true},
		{"513 bytes", prefix + strings.Repeat("a", 513-len(prefix)), false},
		{"credentials", "https://user:pass@cdn.example.com/a.png", false},
		{"user only", "https://user@cdn.example.com/a.png", false},
		{"no host", "https:///a.png", false},
		{"relative", "/a.png", false},
		{"scheme-relative", "//cdn.example.com/a.png", false},
		{"ftp", "ftp://cdn.example.com/a.png", false},
		{"javascript", "javascript:alert(1)", false},
		{"data", "data:image/png;base64,AAAA", false},
		{"control character", "https://cdn.example.com/a\n.png", false},
		{"unparseable", "https://cdn.example.com:port/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validAvatarURL(tt.in); got != tt.want {
				t.Fatalf("validAvatarURL(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidAvatarURL_RequiresAHostName(t *testing.T) {
	if validAvatarURL("https://:443/a.png") {
		t.Fatal("a URL without a host name was accepted")
	}
}

func TestValidAvatarURL_CountsCharactersNotBytes(t *testing.T) {
	u := "https://cdn.example.com/" + strings.Repeat("头", 276) // 300 characters, 852 bytes
	if !validAvatarURL(u) {
		t.Fatal("a 300-character URL was refused")
	}
}

func TestValidUsername(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"simple", "admin", true},
		{"three characters", "ops", true},
		{"64 characters", "a" + strings.Repeat("b", 63), true},
		{"digits and punctuation", "0perator.lin_2-x", true},
		{"two characters", "op", false},
		{"65 characters", "a" + strings.Repeat("b", 64), false},
		{"upper case", "Admin", false},
		{"leading dot", ".admin", false},
		{"leading dash", "-admin", false},
		{"leading underscore", "_admin", false},
		{"space", "ad min", false},
		{"at sign", "admin@example.com", false},
		{"non-ascii", "管理员abc", false},
		{"trailing newline", "admin\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validUsername(tt.in); got != tt.want {
				t.Fatalf("validUsername(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
