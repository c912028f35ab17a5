package keyring

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ark-app-AbCdEf"

// fakeSecrets answers GetSecretValue with a fixed value or error and records
// the secret asked for.
type fakeSecrets struct {
	value *string
	err   error
	asked string
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if in.SecretId != nil {
		f.asked = *in.SecretId
	}
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.value}, nil
}

func ptr(s string) *string { return &s }

func TestFetchMaster_ReturnsTheBytesOfMasterKey(t *testing.T) {
	key := "0123456789abcdef0123456789abcdef-and-more"
	f := &fakeSecrets{value: ptr(`{"masterKey":"` + key + `","other":1}`)}
	got, err := FetchMaster(context.Background(), f, testARN)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != key {
		t.Fatalf("got %q, want %q", got, key)
	}
	if f.asked != testARN {
		t.Fatalf("asked for %q, want %q", f.asked, testARN)
	}
	if _, err := Derive(got); err != nil {
		t.Fatalf("fetched master does not derive: %v", err)
	}
}

func TestFetchMaster_FailsClearlyWithoutLeakingTheSecret(t *testing.T) {
	// secretish is part of each bad value; no error may contain it.
	const secretish = "S3CRETS3CRET"
	tests := []struct {
		name    string
		arn     string
		fake    *fakeSecrets
		wantMsg string
	}{
		{"no arn", "", &fakeSecrets{value: ptr(`{"masterKey":"x"}`)}, "no secret ARN"},
		{"service error", testARN, &fakeSecrets{err: errors.New("AccessDeniedException")}, "AccessDeniedException"},
		{"binary secret without string", testARN, &fakeSecrets{}, "no string value"},
		{"not json", testARN, &fakeSecrets{value: ptr(secretish + "{")}, "not a JSON object"},
		{"json syntax error inside the key", testARN, &fakeSecrets{value: ptr(`{"masterKey":"` + secretish + `"x}`)}, "not a JSON object"},
		{"key of the wrong type", testARN, &fakeSecrets{value: ptr(`{"masterKey":12345}`)}, "not a JSON object"},
		{"missing key", testARN, &fakeSecrets{value: ptr(`{"master":"` + secretish + strings.Repeat("x", 40) + `"}`)}, "no masterKey"},
		{"empty key", testARN, &fakeSecrets{value: ptr(`{"masterKey":""}`)}, "no masterKey"},
		{"31-byte key", testARN, &fakeSecrets{value: ptr(`{"masterKey":"` + secretish + strings.Repeat("x", 31-len(secretish)) + `"}`)}, "shorter than 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FetchMaster(context.Background(), tt.fake, tt.arn)
			if err == nil {
				t.Fatalf("got master %q, want an error", got)
			}
			if got != nil {
				t.Fatal("key returned with the error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), "S3C") {
				t.Fatalf("err = %q reveals the secret", err)
			}
		})
	}
}

func TestFetchMaster_KeepsTheServiceErrorForErrorsIs(t *testing.T) {
	cause := errors.New("throttled")
	_, err := FetchMaster(context.Background(), &fakeSecrets{err: cause}, testARN)
	if !errors.Is(err, cause) {
		t.Fatalf("err = %v, want it to wrap the cause", err)
	}
}
