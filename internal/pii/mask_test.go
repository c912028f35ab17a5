package pii

import "testing"

func TestMaskMobile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"eleven digits keep first three and last four", "13812345678", "138****5678"},
		{"another valid number", "19900001111", "199****1111"},
		{"ten digits fully masked", "1381234567", "**********"},
		{"twelve digits fully masked", "138123456789", "************"},
		{"country code fully masked", "+8613812345678", "**************"},
		{"letter inside fully masked", "1381234a678", "***********"},
		{"spaces fully masked", "138 1234 5678", "*************"},
		{"full-width digits fully masked by character count", "１３８１２３４５６７８", "***********"},
		{"arabic-indic digits fully masked", "١٣٨١٢٣٤٥٦٧٨", "***********"},
		{"empty stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskMobile(tt.in); got != tt.want {
				t.Fatalf("MaskMobile(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
