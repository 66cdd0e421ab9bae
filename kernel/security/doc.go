// Package security is the kernel's Security Manager: a registry of ed25519
// keys with roles (operator, plugin publisher, agreement party) and
// signature checks against it; capability grants that decide, deny by
// default, what an agent may do with a resource (CheckPermission); signed
// usage agreements between a consumer and a provider with validity windows
// in kernel logical time and per-metric quotas (VerifyAgreement, RecordUsage);
// and randomness: CSPRNG bytes for kernel secrets, and a deterministic,
// replayable stream per call for plugins granted randomness.
//
// Everything persists in the kernel's store under the "sec" prefix. Grants
// and revocations must be signed by a registered operator key; every change
// is written in one atomic batch that commit hooks (the operation log) can
// extend. Reads on the hot path (CheckPermission) are served from memory.
// The formats are specified in docs/SECURITY.md.
package security
