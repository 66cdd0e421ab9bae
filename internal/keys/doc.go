// Package keys reads and writes the ed25519 key files of mcpzero operators:
// a private key file (PEM, mode 0600, refused when readable by others) and a
// public key file (PEM), and derives a short, stable key ID from a public key.
package keys
