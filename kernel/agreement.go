package kernel

import "context"

type agreementKey struct{}

// WithAgreement returns a context under which Execute names the usage
// agreement id: the operation record carries it (OpRecord.Agreement) and
// the commit hooks check and charge it (kernel/security), so that the
// execute fails, with nothing written, when the agreement does not allow
// it. docs/SECURITY.md describes agreements.
func WithAgreement(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, agreementKey{}, id)
}

// AgreementFrom returns the agreement named by ctx, or "".
func AgreementFrom(ctx context.Context) string {
	id, _ := ctx.Value(agreementKey{}).(string)
	return id
}
