package orders

import (
	"testing"

	"github.com/arkmember/arkmember/internal/levels"
)

func TestRules_Earnings(t *testing.T) {
	tests := []struct {
		name              string
		cents             int64
		level, boost      levels.Multiplier
		wantPts, wantGrow int64
	}{
		{"one yuan", 100, 1000, 1000, 1, 1},
		{"cents are floored", 1999, 1000, 1000, 19, 19},
		{"level multiplier", 10000, 1500, 1000, 150, 100},
		{"boost multiplies", 10000, 1500, 2000, 300, 100},
		{"0.29 exactly, no float rounding", 100, 290, 1000, 0, 1},
		{"capped", 100_000_000_00, 3000, 3000, 100_000, 100_000},
		{"huge amounts do not overflow", 9_000_000_000_000_000, 100000, 100000, 100_000, 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, g := DefaultRules.Earnings(tt.cents, tt.level, tt.boost)
			if p != tt.wantPts || g != tt.wantGrow {
				t.Fatalf("Earnings = %d, %d; want %d, %d", p, g, tt.wantPts, tt.wantGrow)
			}
		})
	}
}

func TestOrder_ClawbacksSumToWhatWasEarned(t *testing.T) {
	o := Order{Paid: 10000, Points: 150, Growth: 100}
	var pts, grow int64
	for _, refund := range []int64{3333, 3333, 3334} {
		p, g := o.Clawback(refund)
		if p < 0 || g < 0 {
			t.Fatalf("negative clawback %d %d", p, g)
		}
		o.Refunded += refund
		o.ClawedPoints += p
		o.ClawedGrowth += g
		pts, grow = pts+p, grow+g
	}
	if pts != 150 || grow != 100 {
		t.Fatalf("clawed %d points, %d growth; want exactly 150 and 100", pts, grow)
	}
	p, g := Order{Paid: 10000, Points: 150, Growth: 100}.Clawback(5000)
	if p != 75 || g != 50 {
		t.Fatalf("half refund = %d %d", p, g)
	}
}
