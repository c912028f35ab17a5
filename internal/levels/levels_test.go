package levels

import (
	"encoding/json"
	"testing"
)

func TestDefault_IsValidWithRetainGrowthAboveLowest(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("default ladder invalid: %v", err)
	}
	if len(d.Levels) < 4 {
		t.Fatal("the default ladder needs at least four levels")
	}
	for _, lv := range d.Levels[1:] {
		if lv.RetainGrowth <= 0 {
			t.Fatalf("%s must have retainGrowth > 0", lv.Code)
		}
	}
}

func TestLadder_Validate(t *testing.T) {
	mutate := func(f func(*Ladder)) Ladder {
		l := Default()
		l.Levels = append([]Level(nil), l.Levels...)
		f(&l)
		return l
	}
	tests := []struct {
		name    string
		ladder  Ladder
		wantErr bool
	}{
		{"default", Default(), false},
		{"empty", Ladder{}, true},
		{"gap in ranks", mutate(func(l *Ladder) { l.Levels[2].Rank = 3 }), true},
		{"equal thresholds", mutate(func(l *Ladder) { l.Levels[2].GrowthThreshold = l.Levels[1].GrowthThreshold }), true},
		{"lowest above zero", mutate(func(l *Ladder) { l.Levels[0].GrowthThreshold = 5 }), true},
		{"duplicate code", mutate(func(l *Ladder) { l.Levels[1].Code = "BRONZE" }), true},
		{"zero multiplier", mutate(func(l *Ladder) { l.Levels[1].PointsMultiplier = 0 }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.ladder.Validate(); (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestLadder_ForGrowth(t *testing.T) {
	d := Default()
	for _, tt := range []struct {
		growth int64
		want   string
	}{{0, "BRONZE"}, {999, "BRONZE"}, {1000, "SILVER"}, {49999, "PLATINUM"}, {1 << 40, "DIAMOND"}} {
		if got := d.ForGrowth(tt.growth).Code; got != tt.want {
			t.Fatalf("ForGrowth(%d) = %s, want %s", tt.growth, got, tt.want)
		}
	}
}

func TestMultiplier_JSONAndApply(t *testing.T) {
	tests := []struct {
		in      string
		want    Multiplier
		wantErr bool
	}{
		{"1", 1000, false}, {"1.5", 1500, false}, {"0.29", 290, false}, {"2.125", 2125, false},
		{"1.2345", 0, true}, {"-1", 0, true}, {"1e3", 0, true}, {`"1.5"`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var m Multiplier
			err := json.Unmarshal([]byte(tt.in), &m)
			if (err != nil) != tt.wantErr || (!tt.wantErr && m != tt.want) {
				t.Fatalf("got %v, %v", m, err)
			}
			if !tt.wantErr {
				out, _ := json.Marshal(m)
				var back Multiplier
				if err := json.Unmarshal(out, &back); err != nil || back != m {
					t.Fatalf("round trip %s -> %s", tt.in, out)
				}
			}
		})
	}
	if got := Multiplier(290).Apply(100); got != 29 {
		t.Fatalf("0.29 × 100 = %d, want exactly 29", got)
	}
}
