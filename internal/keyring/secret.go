package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretGetter is the one Secrets Manager call FetchMaster needs.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ SecretGetter = (*secretsmanager.Client)(nil)

// secretDocument is the JSON stored in the application secret.
type secretDocument struct {
	MasterKey string `json:"masterKey"`
}

// FetchMaster reads the master key from the Secrets Manager secret arn, whose
// string value is {"masterKey":"..."}; the key is the bytes of that string.
// Errors name what is wrong but never include any part of the secret.
func FetchMaster(ctx context.Context, c SecretGetter, arn string) ([]byte, error) {
	if arn == "" {
		return nil, errors.New("keyring: no secret ARN given")
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		// SDK errors carry the request, never the secret value.
		return nil, fmt.Errorf("keyring: read secret %s: %w", arn, err)
	}
	if out == nil || out.SecretString == nil {
		return nil, fmt.Errorf("keyring: secret %s has no string value", arn)
	}
	var doc secretDocument
	// The JSON error is dropped on purpose: syntax errors quote the offending
	// character, which would be a piece of the secret.
	if err := json.Unmarshal([]byte(*out.SecretString), &doc); err != nil {
		return nil, fmt.Errorf("keyring: secret %s is not a JSON object with a masterKey string", arn)
	}
	if doc.MasterKey == "" {
		return nil, fmt.Errorf("keyring: secret %s has no masterKey", arn)
	}
	if len(doc.MasterKey) < MinMasterBytes {
		return nil, fmt.Errorf("keyring: masterKey of secret %s is shorter than %d bytes", arn, MinMasterBytes)
	}
	return []byte(doc.MasterKey), nil
}
