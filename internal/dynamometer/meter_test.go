package dynamometer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestSize_FollowsDynamoDBRules(t *testing.T) {
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"string", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "MEMBER#1"}}, 2 + 8},
		{"utf-8 string", map[string]types.AttributeValue{"n": &types.AttributeValueMemberS{Value: "会员"}}, 1 + 6},
		{"number", map[string]types.AttributeValue{"points": &types.AttributeValueMemberN{Value: "12345"}}, 6 + 3 + 1},
		{"number with zeros", map[string]types.AttributeValue{"v": &types.AttributeValueMemberN{Value: "1000"}}, 1 + 1 + 1},
		{"bool", map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{"list", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "ab"}}}}, 1 + 3 + 2 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Size(tt.item); got != tt.want {
				t.Fatalf("Size = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	if readUnits(4096, true) != 1 || readUnits(4097, true) != 2 || readUnits(100, false) != 0.5 {
		t.Fatal("read units")
	}
	if writeUnits(1024) != 1 || writeUnits(1025) != 2 || writeUnits(0) != 1 {
		t.Fatal("write units")
	}
}
